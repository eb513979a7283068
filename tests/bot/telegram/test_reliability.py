"""Outbound reliability against injected Bot API failures: 429, 403, 5xx, a failing core."""

from __future__ import annotations

import pytest

from bot.telegram import APOLOGY, TelegramChannel
from bot.types import Incoming, Outgoing
from tests.bot.fake_telegram import FakeTelegram
from tests.bot.telegram.conftest import ScriptedCore

# PTB itself reads RetryAfter.retry_after while building the error, which warns about the type
# change planned for PTB 23; the sender already accepts both types.
pytestmark = pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")


async def test_flood_wait_is_respected_then_message_delivered(
    fake: FakeTelegram, bot: TelegramChannel, sleeps: list[float]
) -> None:
    fake.fail("sendMessage", 429, retry_after=7, chat_id=701)
    await fake.push(fake.message(701, "xin chào"))
    [text] = await fake.wait_sent(701)
    assert text.startswith("Xin chào")
    statuses = [c.status for c in fake.calls_to("sendMessage") if c.chat_id == "701"]
    assert statuses == [429, 200]
    assert sleeps == [7.0]  # waited exactly what Telegram asked for


async def test_server_errors_are_retried_with_growing_backoff(
    fake: FakeTelegram, bot: TelegramChannel, sleeps: list[float]
) -> None:
    fake.fail("sendMessage", 500, chat_id=702, times=2)
    await fake.push(fake.message(702, "xin chào"))
    await fake.wait_sent(702)
    statuses = [c.status for c in fake.calls_to("sendMessage") if c.chat_id == "702"]
    assert statuses == [500, 500, 200]
    assert sleeps == [0.5, 1.0]


async def test_retries_are_bounded(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore, sleeps: list[float]
) -> None:
    fake.fail("sendMessage", 502, chat_id=703, times=100)
    await fake.push(fake.message(703, "xin chào"))
    await fake.push(fake.message(704, "xin chào"))  # another chat is not held up
    await fake.wait_sent(704)
    # 4 attempts for the reply, then 4 for the apology, then it gives up
    await fake.wait_for(
        lambda: len([c for c in fake.calls_to("sendMessage") if c.chat_id == "703"]) == 8
    )
    assert fake.sent(703) == []


async def test_blocked_user_is_marked_inactive_and_not_sent_to_again(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    core.script = lambda incoming: [Outgoing("Một"), Outgoing("Hai"), Outgoing("Ba")]
    fake.fail("sendMessage", 403, chat_id=705)
    await fake.push(fake.message(705, "xin chào"))
    await fake.wait_for(lambda: core.inactive == [("telegram", "705")])
    await fake.push(fake.message(706, "xin chào"))  # a later update proves the first finished
    await fake.wait_sent(706, 3)
    attempts = [c for c in fake.calls_to("sendMessage") if c.chat_id == "705"]
    assert [c.status for c in attempts] == [403]  # "Hai" and "Ba" were never attempted


async def test_blocked_user_who_writes_again_is_answered(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    fake.fail("sendMessage", 403, chat_id=707)
    await fake.push(fake.message(707, "xin chào"))
    await fake.wait_for(lambda: len(core.inactive) == 1)
    await fake.push(fake.message(707, "tôi đã bỏ chặn"))
    [text] = await fake.wait_sent(707)
    assert text.startswith("Xin chào")


async def test_blocking_the_bot_marks_user_inactive(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    bot_user = {"id": 123, "is_bot": True, "first_name": "Kết Nối"}
    change = {
        "chat": {"id": 708, "type": "private"},
        "from": {"id": 708, "is_bot": False, "first_name": "Lan"},
        "date": 0,
        "old_chat_member": {"status": "member", "user": bot_user},
        "new_chat_member": {"status": "kicked", "user": bot_user, "until_date": 0},
    }
    await fake.push({"update_id": fake.next_update_id(), "my_chat_member": change})
    await fake.wait_for(lambda: core.inactive == [("telegram", "708")])
    assert fake.sent(708) == []


async def test_failing_core_gets_an_apology_and_polling_goes_on(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    def script(incoming: Incoming) -> list[Outgoing]:
        if incoming.text == "lỗi":
            raise RuntimeError("boom")
        return ScriptedCore.default_script(incoming)

    core.script = script
    await fake.push(fake.message(709, "lỗi"))
    await fake.push(fake.message(709, "xin chào"))
    texts = await fake.wait_sent(709, 2)
    assert texts[0] == APOLOGY
    assert texts[1].startswith("Xin chào")


async def test_rejected_message_gets_an_apology(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    fake.fail("sendMessage", 400, chat_id=710)  # e.g. Telegram refuses the markup: no retry
    await fake.push(fake.message(710, "xin chào"))
    [text] = await fake.wait_sent(710)
    assert text == APOLOGY
    assert [c.status for c in fake.calls_to("sendMessage") if c.chat_id == "710"] == [400, 200]


async def test_long_reply_is_split_at_line_boundaries(
    fake: FakeTelegram, bot: TelegramChannel, core: ScriptedCore
) -> None:
    lines = [
        f"{n}. Công nghệ sấy vải thiều bằng bơm nhiệt, công suất 500 kg/mẻ" for n in range(200)
    ]
    menu = ScriptedCore.default_script(Incoming("telegram", "1", "1"))[0].buttons
    core.script = lambda incoming: [Outgoing("\n".join(lines), buttons=menu)]
    await fake.push(fake.message(711, "danh sách"))
    await fake.wait_for(lambda: any("reply_markup" in c.params for c in fake.sent(711)))
    calls = fake.sent(711)
    texts = [c.params["text"] for c in calls]
    assert len(texts) == 4 and all(len(t) <= 4096 for t in texts)
    assert "\n".join(texts) == "\n".join(lines)  # nothing lost, every cut at a line end
    assert [("reply_markup" in c.params) for c in calls] == [False] * (len(calls) - 1) + [True]


async def test_polling_survives_a_conflict_and_says_why(
    fake: FakeTelegram, bot: TelegramChannel, caplog: pytest.LogCaptureFixture
) -> None:
    fake.fail("getUpdates", 409)  # another instance polled with the same token
    await fake.push(fake.message(712, "xin chào"))
    [text] = await fake.wait_sent(712)
    assert text.startswith("Xin chào")
    assert any("another process polls" in r.getMessage() for r in caplog.records)
