"""`ketnoi serve`'s ASGI app: the Telegram webhook behind a secret, and /healthz."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from bot.config import Settings
from bot.telegram import TelegramChannel, TelegramConfigError
from bot.telegram.runner import set_webhook, webhook_info
from bot.telegram.webhook import SECRET_HEADER, TelegramWebhook
from bot.types import Incoming, Outgoing
from bot.web import channels_from_settings, create_web_app
from tests.bot.fake_telegram import TOKEN, FakeTelegram
from tests.bot.telegram.conftest import ScriptedCore
from tests.bot.telegram.server import BackgroundServer

SECRET = "s3cret-Token_42"


@pytest.fixture
async def web(
    make_channel: Callable[..., TelegramChannel], core: ScriptedCore
) -> AsyncIterator[httpx.AsyncClient]:
    webhook = TelegramWebhook(make_channel(core), SECRET)
    await webhook.start()
    server = BackgroundServer(create_web_app([webhook]))
    url = await server.start()
    async with httpx.AsyncClient(base_url=url) as client:
        yield client
    await server.stop()
    await webhook.stop()


def post(
    client: httpx.AsyncClient, body: object, secret: str | None = SECRET
) -> Awaitable[httpx.Response]:
    headers = {SECRET_HEADER: secret} if secret is not None else {}
    if isinstance(body, bytes):
        return client.post("/telegram/webhook", content=body, headers=headers)
    return client.post("/telegram/webhook", json=body, headers=headers)


async def test_update_with_secret_is_answered(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore
) -> None:
    response = await post(web, fake.message(801, "xin chào"))
    assert response.status_code == 200
    [text] = await fake.wait_sent(801)
    assert text.startswith("Xin chào anh/chị")
    assert fake.calls_to("getUpdates") == []  # webhook mode never polls


@pytest.mark.parametrize("secret", [None, "", "wrong", SECRET + "x", SECRET.lower()])
async def test_wrong_or_missing_secret_is_refused_and_nothing_processed(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore, secret: str | None
) -> None:
    response = await post(web, fake.message(802, "xin chào"), secret)
    assert response.status_code == 403
    # a later valid update is processed; the refused one never was
    await post(web, fake.message(803, "xin chào"))
    await fake.wait_sent(803)
    assert fake.sent(802) == []
    assert [i.chat_id for i in core.received] == ["803"]


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"", b'{"message": "x"}'])
async def test_malformed_update_gets_400_and_service_goes_on(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore, body: bytes
) -> None:
    response = await post(web, body)
    assert response.status_code == 400
    await post(web, fake.message(804, "xin chào"))
    await fake.wait_sent(804)
    assert [i.chat_id for i in core.received] == ["804"]


async def test_oversized_body_is_refused(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore
) -> None:
    update = fake.message(807, "x" * (2 << 20))
    assert (await post(web, update)).status_code == 413
    assert core.received == []


async def test_redelivered_update_gets_one_reply(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore
) -> None:
    update = fake.message(805, "xin chào")
    for _ in range(3):  # Telegram re-sends when it did not see a 2xx in time
        assert (await post(web, update)).status_code == 200
    await post(web, fake.message(805, "còn đó không?"))
    await fake.wait_sent(805, 2)
    assert len(fake.sent(805)) == 2
    assert [i.text for i in core.received] == ["xin chào", "còn đó không?"]


async def test_webhook_answers_before_the_reply_is_computed(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore
) -> None:
    release = asyncio.Event()
    answered: list[Outgoing] = []

    async def slow_handle(incoming: Incoming) -> list[Outgoing]:
        await release.wait()
        answered.append(Outgoing("Xong ạ."))
        return answered

    core.handle = slow_handle  # type: ignore[method-assign]
    response = await post(web, fake.message(806, "xin chào"))
    assert response.status_code == 200 and answered == []
    release.set()
    assert await fake.wait_sent(806) == ["Xong ạ."]


async def test_healthz(web: httpx.AsyncClient) -> None:
    response = await web.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["channels"] == {"telegram": "running"}


async def test_webhook_needs_a_secret_when_telegram_is_configured(core: ScriptedCore) -> None:
    settings = Settings(telegram_token=TOKEN, telegram_webhook_secret=None)
    with pytest.raises(TelegramConfigError, match="KETNOI_TELEGRAM_WEBHOOK_SECRET"):
        channels_from_settings(settings, core)
    bad = Settings(telegram_token=TOKEN, telegram_webhook_secret="có dấu")
    with pytest.raises(TelegramConfigError):
        channels_from_settings(bad, core)
    assert channels_from_settings(Settings(telegram_token=None), core) == []


async def test_set_webhook_registers_url_with_secret(fake: FakeTelegram) -> None:
    settings = Settings(
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.url,  # type: ignore[attr-defined]
    )
    await set_webhook(settings, "https://ketnoi.example.vn/telegram/webhook")
    [call] = fake.calls_to("setWebhook")
    assert call.params["url"] == "https://ketnoi.example.vn/telegram/webhook"
    assert call.params["secret_token"] == SECRET


async def test_rejected_token_is_a_clear_error(fake: FakeTelegram, core: ScriptedCore) -> None:
    channel = TelegramChannel(core, "999:wrong", fake.url)  # type: ignore[attr-defined]
    with pytest.raises(TelegramConfigError, match="từ chối token"):
        await channel.start()


async def test_webhook_refused_by_telegram_is_a_clear_error(fake: FakeTelegram) -> None:
    settings = Settings(
        telegram_token=TOKEN,
        telegram_webhook_secret=SECRET,
        telegram_api_url=fake.url,  # type: ignore[attr-defined]
    )
    fake.fail("setWebhook", 400)
    with pytest.raises(TelegramConfigError, match="từ chối webhook"):
        await set_webhook(settings, "http://plain-http.example/telegram/webhook")


async def test_webhook_info_reports_what_telegram_knows(fake: FakeTelegram) -> None:
    settings = Settings(telegram_token=TOKEN, telegram_api_url=fake.url)  # type: ignore[attr-defined]
    info = await webhook_info(settings)
    assert info["url"] is None and info["pending_update_count"] == 0
    assert [c.method for c in fake.calls] == ["getMe", "getWebhookInfo"]


async def test_unfit_updates_are_refused_with_their_id_logged_and_service_goes_on(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    from tests.bot.telegram.test_unfit_updates import unfit_updates

    for what, update in unfit_updates(fake):
        assert (await post(web, update)).status_code == 400, what
    lines = [r.getMessage() for r in caplog.records if "webhook: update" in r.getMessage()]
    assert len(lines) == len(unfit_updates(fake)) and "'abc' skipped" in lines[0]
    await post(web, fake.message(808, "xin chào"))
    await fake.wait_sent(808)
    assert [i.chat_id for i in core.received] == ["808"]


async def test_an_edit_is_acknowledged_logged_and_not_answered(
    fake: FakeTelegram, web: httpx.AsyncClient, core: ScriptedCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level("INFO", logger="bot.telegram")
    edit = fake.message(809, "sửa lại")
    edit["edited_message"] = edit.pop("message")
    assert (await post(web, edit)).status_code == 200  # Telegram must not send it again
    assert any(f"update {edit['update_id']} skipped" in r.getMessage() for r in caplog.records)
    await post(web, fake.message(809, "xin chào"))
    await fake.wait_sent(809)
    assert [i.text for i in core.received] == ["xin chào"]
