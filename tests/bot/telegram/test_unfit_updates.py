"""Updates that do not fit are logged with their id and skipped; the loops go on.

Also: group chats are ignored unless the bot is addressed (KETNOI_GROUP_CHATS=mention).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from bot.telegram import TelegramChannel
from bot.telegram.runner import start_polling, stop_polling
from tests.bot.fake_telegram import BOT_USER, FakeTelegram, user
from tests.bot.telegram.conftest import ScriptedCore

STICKER_WITHOUT_FILE = {"emoji": "👍"}


def unfit_updates(fake: FakeTelegram) -> list[tuple[str, dict[str, Any]]]:
    """(what is wrong, the update) — each one once seen in the wild or in a forged request."""
    text_id = fake.message(1, "xin chào")
    text_id["update_id"] = "abc"
    float_id = fake.message(1, "xin chào")
    float_id["update_id"] = 1.5
    chat_as_text = fake.message(1, "xin chào")
    chat_as_text["message"]["chat"] = "1"
    text_as_number = fake.message(1, "xin chào")
    text_as_number["message"]["text"] = 42
    far_future = fake.message(1, "xin chào")
    far_future["message"]["date"] = 10**20
    return [
        ("update_id is a string", text_id),
        ("update_id is a float", float_id),
        ("chat is a string", chat_as_text),
        ("text is a number", text_as_number),
        ("date out of range", far_future),
        ("sticker without its file", fake.message(1, sticker=STICKER_WITHOUT_FILE)),
        ("no update_id", {"message": fake.message(1, "x")["message"]}),
    ]


def skipped_ids(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "skipped" in r.getMessage()]


async def test_polling_skips_unfit_updates_logs_their_ids_and_goes_on(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore,
    caplog: pytest.LogCaptureFixture,
) -> None:
    unfit = unfit_updates(fake)
    for _, update in unfit:
        await fake.push(update)
        await fake.push(fake.message(601, f"sau {len(fake.pending)}"))
    texts = await fake.wait_sent(601, len(unfit))
    assert len(texts) == len(unfit)  # every fitting message after a bad one was answered
    assert fake.sent(1) == [] and all(i.chat_id == "601" for i in core.received)
    await fake.wait_for(lambda: bot.skipped == len(unfit))
    logged = skipped_ids(caplog)
    assert any("'abc' skipped" in line for line in logged)
    assert any("1.5 skipped" in line for line in logged)
    assert len(logged) == len(unfit)
    # the offset moved past the numbered ones, so Telegram would not send them again
    last = max(u["update_id"] for _, u in unfit if isinstance(u.get("update_id"), int))
    await fake.wait_for(lambda: int(fake.calls_to("getUpdates")[-1].params["offset"]) > last)


async def test_polling_goes_on_when_getupdates_answers_nonsense(
    fake: FakeTelegram, bot: TelegramChannel, caplog: pytest.LogCaptureFixture
) -> None:
    await fake.push("not an update")
    await fake.push(fake.message(602, "xin chào"))
    await fake.wait_sent(602)
    assert any("an update is a JSON object" in line for line in skipped_ids(caplog))


@pytest.mark.parametrize("kind", ["edited_message", "channel_post", "poll"])
async def test_kinds_the_bot_does_not_answer_are_logged_and_skipped(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore, kind: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO, logger="bot.telegram")
    message = fake.message(603, "sửa lại")
    await fake.push({"update_id": message["update_id"], kind: message["message"]})
    await fake.push(fake.message(603, "xin chào"))
    await fake.wait_sent(603)
    assert [i.text for i in core.received] == ["xin chào"]
    assert any(f"{message['update_id']} skipped" in line for line in skipped_ids(caplog))


def group_message(fake: FakeTelegram, text: str, **extra: Any) -> dict[str, Any]:
    update = fake.message(77, text, **extra)
    update["message"]["chat"] = {"id": -1001234, "type": "supergroup", "title": "Hội DN"}
    return update


def mention(fake: FakeTelegram, text: str) -> dict[str, Any]:
    name = f"@{BOT_USER['username']}"
    update = group_message(fake, f"{name} {text}")
    update["message"]["entities"] = [{"type": "mention", "offset": 0, "length": len(name)}]
    return update


async def test_group_chats_are_ignored_by_default(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    await fake.push(group_message(fake, "cần tìm công nghệ sấy vải"))
    await fake.push(mention(fake, "xin chào"))
    await fake.push(fake.message(604, "xin chào"))
    await fake.wait_sent(604)
    await fake.wait_for(lambda: bot.handled == 3)
    assert fake.sent(-1001234) == [] and [i.chat_id for i in core.received] == ["604"]


@pytest.fixture
async def mention_bot(
    make_channel: Callable[..., TelegramChannel], core: ScriptedCore
) -> Any:
    channel = make_channel(core, group_chats="mention")
    await start_polling(channel, poll_timeout=5)
    yield channel
    await stop_polling(channel)


async def test_in_mention_mode_the_bot_answers_only_when_addressed(
    fake: FakeTelegram, mention_bot: TelegramChannel, core: ScriptedCore
) -> None:
    group = -1001234
    await fake.push(group_message(fake, "chào cả nhà"))  # people talking among themselves
    await fake.push(mention(fake, "xin chào"))
    [text] = await fake.wait_sent(group)
    assert text.startswith("Xin chào")
    assert [i.text for i in core.received] == ["xin chào"]  # the @mention is not part of it
    await fake.push(group_message(fake, "/help@ketnoi_test_bot"))
    await fake.push(group_message(fake, "/help@other_bot"))
    reply = {"message_id": 5, "date": 1, "chat": {"id": group, "type": "supergroup"},
             "from": BOT_USER, "text": "Xin chào"}
    await fake.push(group_message(fake, "cảm ơn", reply_to_message=reply))
    await fake.wait_sent(group, 3)
    await fake.wait_for(lambda: mention_bot.handled == 5)
    assert [i.text for i in core.received] == ["xin chào", "/help", "cảm ơn"]
    assert all(i.user_id == "77" for i in core.received)


async def test_a_group_stays_ignored_for_someone_writing_privately(
    fake: FakeTelegram, mention_bot: TelegramChannel, core: ScriptedCore
) -> None:
    await fake.push(fake.message(605, "xin chào"))
    await fake.wait_sent(605)
    assert core.received[0].user_id == "605" and user(605)["id"] == 605
