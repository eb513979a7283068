"""`ketnoi serve`'s Zalo routes: the Bot Platform webhook behind its secret, the OA webhook behind
its signature, and every kind of bad input answered without a crash, a second reply or a loss."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import pytest

from bot.web import create_web_app
from bot.zalo.bot_platform import ZaloBotChannel
from bot.zalo.oa import ZaloOAChannel
from bot.zalo.tokens import TokenKeeper
from bot.zalo.webhook import BOT_SECRET_HEADER, ZaloBotWebhook, ZaloOAWebhook
from tests.bot.fake_zalo import FakeZaloBot
from tests.bot.fake_zalo_oa import OA_APP_ID, OA_SECRET_KEY, FakeZaloOA
from tests.bot.telegram.server import BackgroundServer
from tests.bot.zalo.conftest import Followers, ZaloScriptedCore

SECRET = "zalo-Secret_42"
FIVE_MB = b"{" + b" " * (5 * 1024 * 1024) + b"}"


@pytest.fixture
def followers() -> Followers:
    return Followers()


@pytest.fixture
async def web(make_bot: Callable[..., ZaloBotChannel], make_oa: Callable[..., ZaloOAChannel],
              core: ZaloScriptedCore, keeper: TokenKeeper,
              followers: Followers) -> AsyncIterator[httpx.AsyncClient]:
    hooks = [ZaloBotWebhook(make_bot(core), SECRET),
             ZaloOAWebhook(make_oa(core, keeper, "text", followers), OA_APP_ID, OA_SECRET_KEY)]
    for hook in hooks:
        await hook.start()
    server = BackgroundServer(create_web_app(hooks))  # type: ignore[list-item]
    async with httpx.AsyncClient(base_url=await server.start()) as client:
        yield client
    await server.stop()
    for hook in hooks:
        await hook.stop()


def to_bot(web: httpx.AsyncClient, body: Any, secret: str | None = SECRET) -> Any:
    headers = {BOT_SECRET_HEADER: secret} if secret is not None else {}
    if isinstance(body, bytes):
        return web.post("/zalo-bot/webhook", content=body, headers=headers)
    return web.post("/zalo-bot/webhook", json=body, headers=headers)


def to_oa(web: httpx.AsyncClient, fake: FakeZaloOA, event: dict[str, Any]) -> Any:
    body, headers = fake.signed(event)
    return web.post("/zalo-oa/webhook", content=body, headers=headers)


# ---------------------------------------------------------------- Bot Platform


@pytest.mark.parametrize("wrapped", [True, False])
async def test_bot_update_wrapped_or_bare_is_answered(
        fake_bot: FakeZaloBot, web: httpx.AsyncClient, wrapped: bool) -> None:
    update = fake_bot.message("w1", "xin chào")
    response = await to_bot(web, {"ok": True, "result": update} if wrapped else update)
    assert response.status_code == 200
    [text] = await fake_bot.wait_sent("w1")
    assert "1. Tìm công nghệ" in text
    assert fake_bot.calls_to("getUpdates") == []


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x", SECRET.lower()])
async def test_bot_wrong_or_missing_secret_is_403_and_nothing_processed(
        fake_bot: FakeZaloBot, web: httpx.AsyncClient, core: ZaloScriptedCore,
        secret: str | None) -> None:
    response = await to_bot(web, fake_bot.message("w2", "xin chào"), secret)
    assert response.status_code == 403
    await to_bot(web, fake_bot.message("w2b", "xin chào"))  # a proof that the queue moved on
    await fake_bot.wait_sent("w2b")
    assert [i.chat_id for i in core.received] == ["w2b"]


@pytest.mark.parametrize(("body", "status"), [
    (b"{not json", 400),
    (b"[1, 2]", 400),
    (b'{"ok": true}', 400),
    (FIVE_MB, 413),
    ({"event_name": "message.reaction.received", "message": {"chat": {"id": "w3"}}}, 200),
    ({"event_name": "message.text.received"}, 200),  # a missing field: logged and ignored
])
async def test_bot_bad_input_is_refused_or_ignored_and_serving_goes_on(
        fake_bot: FakeZaloBot, web: httpx.AsyncClient, core: ZaloScriptedCore,
        body: Any, status: int) -> None:
    assert (await to_bot(web, body)).status_code == status
    await to_bot(web, fake_bot.message("w3b", "xin chào"))
    await fake_bot.wait_sent("w3b")
    assert [i.chat_id for i in core.received] == ["w3b"]


async def test_bot_redelivered_event_one_reply(fake_bot: FakeZaloBot, web: httpx.AsyncClient,
                                               core: ZaloScriptedCore) -> None:
    update = fake_bot.message("w4", "xin chào")
    for _ in range(3):
        assert (await to_bot(web, update)).status_code == 200
    await to_bot(web, fake_bot.message("w4", "cảm ơn"))
    await fake_bot.wait_sent("w4", 2)
    assert len(fake_bot.sent("w4")) == 2 and len(core.received) == 2


async def test_bot_ids_as_numbers_are_answered(fake_bot: FakeZaloBot, web: httpx.AsyncClient) -> None:
    update = fake_bot.message("0", "xin chào")
    update["message"] |= {"chat": {"id": 5551, "chat_type": "PRIVATE"}, "message_id": 9,
                          "from": {"id": 5551, "is_bot": False}}
    assert (await to_bot(web, update)).status_code == 200
    assert (await fake_bot.wait_sent("5551"))[0].startswith("Xin chào")


# ---------------------------------------------------------------- Official Account


async def test_signed_text_is_answered_through_message_cs(
        fake_oa: FakeZaloOA, web: httpx.AsyncClient) -> None:
    response = await to_oa(web, fake_oa, fake_oa.text("o1", "xin chào"))
    assert response.status_code == 200
    [text] = await fake_oa.wait_sent("o1")
    assert text.startswith("Xin chào anh/chị") and "2. Tìm chuyên gia" in text
    [call] = fake_oa.sent("o1")
    assert call.params["_token"] in fake_oa.valid_access  # header access_token


async def test_unsigned_or_wrongly_signed_is_401_and_nothing_processed(
        fake_oa: FakeZaloOA, web: httpx.AsyncClient, core: ZaloScriptedCore) -> None:
    event = fake_oa.text("o2", "xin chào")
    body, headers = fake_oa.signed(event)
    other_body, _ = fake_oa.signed(fake_oa.text("o2", "một tin khác"))
    cases = [
        {"Content-Type": "application/json"},  # missing
        {"X-ZEvent-Signature": "mac=" + "0" * 64},  # wrong
        {"X-ZEvent-Signature": headers["X-ZEvent-Signature"].upper()},  # not the same hex
    ]
    for bad in cases:
        assert (await web.post("/zalo-oa/webhook", content=body, headers=bad)).status_code == 401
    # A signature made for another body:
    response = await web.post("/zalo-oa/webhook", content=other_body, headers=headers)
    assert response.status_code == 401
    await to_oa(web, fake_oa, fake_oa.text("o2b", "xin chào"))
    await fake_oa.wait_sent("o2b")
    assert [i.user_id for i in core.received] == ["o2b"]


@pytest.mark.parametrize(("body", "status"), [(b"{not json", 400), (FIVE_MB, 413)])
async def test_oa_malformed_or_huge_body_refused(fake_oa: FakeZaloOA, web: httpx.AsyncClient,
                                                 body: bytes, status: int) -> None:
    headers = {"X-ZEvent-Signature": fake_oa.signature(body, "")}
    assert (await web.post("/zalo-oa/webhook", content=body, headers=headers)).status_code == status


async def test_oa_redelivered_msg_id_answered_once(fake_oa: FakeZaloOA, web: httpx.AsyncClient,
                                                   core: ZaloScriptedCore) -> None:
    event = fake_oa.text("o3", "xin chào", msg_id="dup-1")
    for retry in range(3):
        body, headers = fake_oa.signed(event)
        headers["num_retry"] = str(retry)
        assert (await web.post("/zalo-oa/webhook", content=body, headers=headers)).status_code == 200
    await to_oa(web, fake_oa, fake_oa.text("o3", "cảm ơn"))
    await fake_oa.wait_sent("o3", 2)
    assert len(fake_oa.sent("o3")) == 2 and len(core.received) == 2


async def test_follow_greets_and_records_unfollow_marks_inactive(
        fake_oa: FakeZaloOA, web: httpx.AsyncClient, core: ZaloScriptedCore,
        followers: Followers) -> None:
    assert (await to_oa(web, fake_oa, fake_oa.event("follow", "o4"))).status_code == 200
    [greeting] = await fake_oa.wait_sent("o4")
    assert greeting.startswith("Xin chào") and followers.followed == ["o4"]
    assert core.received[0].text == "/start"
    await to_oa(web, fake_oa, fake_oa.event("unfollow", "o4"))
    await fake_oa.wait_for(lambda: bool(core.inactive))
    assert core.inactive == [("zalo-oa", "o4")] and len(fake_oa.sent("o4")) == 1


async def test_submit_info_fills_the_contact_and_chatnow_greets(
        fake_oa: FakeZaloOA, web: httpx.AsyncClient, core: ZaloScriptedCore) -> None:
    info = fake_oa.event("user_submit_info", "o5", info={"name": "Lan", "phone": "0912345678"})
    await to_oa(web, fake_oa, info)
    [thanks] = await fake_oa.wait_sent("o5")
    assert "0912345678" in thanks and core.received[0].kind.value == "contact"
    await to_oa(web, fake_oa, fake_oa.event("user_click_chatnow", "o5"))
    await fake_oa.wait_sent("o5", 2)
    assert core.received[1].text == "/start"


async def test_oa_user_who_left_is_marked_inactive_on_send(
        fake_oa: FakeZaloOA, web: httpx.AsyncClient, core: ZaloScriptedCore) -> None:
    fake_oa.fail("cs", -213, "o7")  # "the user does not follow the OA"
    assert (await to_oa(web, fake_oa, fake_oa.text("o7", "xin chào"))).status_code == 200
    await fake_oa.wait_for(lambda: bool(core.inactive))
    assert core.inactive == [("zalo-oa", "o7")] and fake_oa.sent("o7") == []


@pytest.mark.parametrize("event", [
    {"event_name": "user_seen_message", "sender": {"id": "o6"}},
    {"event_name": "user_send_text"},  # no sender
    {"event_name": "user_send_text", "sender": {"id": 66}, "message": "oops"},  # wrong types
])
async def test_oa_unknown_or_incomplete_events_get_a_silent_200(
        fake_oa: FakeZaloOA, web: httpx.AsyncClient, core: ZaloScriptedCore,
        event: dict[str, Any]) -> None:
    event = {"app_id": OA_APP_ID, "timestamp": "1764460800000", **event}
    assert (await to_oa(web, fake_oa, event)).status_code == 200
    await to_oa(web, fake_oa, fake_oa.text("o6b", "xin chào"))
    await fake_oa.wait_sent("o6b")
    assert [i.user_id for i in core.received if i.text] == ["o6b"]


async def test_oa_ids_and_timestamp_as_numbers(fake_oa: FakeZaloOA, web: httpx.AsyncClient) -> None:
    event = fake_oa.text("0", "xin chào") | {"sender": {"id": 7771}, "timestamp": 1764460800000}
    body = json.dumps(event).encode()
    headers = {"X-ZEvent-Signature": fake_oa.signature(body, "1764460800000")}
    assert (await web.post("/zalo-oa/webhook", content=body, headers=headers)).status_code == 200
    assert (await fake_oa.wait_sent("7771"))[0].startswith("Xin chào")
