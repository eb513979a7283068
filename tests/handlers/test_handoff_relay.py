"""A handoff through the chat harness: the user asks for a person, the point's staff get
"Tiếp nhận", the first who presses has the chat, messages go both ways (the NLU stays out),
`/ketthuc` from either side hands the user back to the bot. Stale and forged buttons, another
point's staff, a staff member in two conversations, one removed mid-handoff, a user who blocked
the bot, and the waiting notice of the scheduled jobs with a fixed clock; on SQLite and
PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.config import Settings
from bot.jobs import run_jobs
from bot.types import ContentKind, Incoming
from storage.models import AuditEntry, ConnectionPoint, Handoff, MessageLog, OutboxMessage
from storage.repos import staff, users
from tests.handlers.chat import NOW, Bot, Chat, OpenBot, connection_point

LAN, HA, MAI = "950", "951", "960"


@pytest.fixture(params=["sqlite", "postgresql"])
async def bot(request: pytest.FixtureRequest, open_bot: OpenBot) -> Bot:
    hanoi = ConnectionPoint(code="DKN-HN", name="Điểm kết nối Hà Nội", provinces=["ha_noi"])
    bot = await open_bot(connection_point(), hanoi, seeded=False, now=NOW,
                         database=request.param)
    await staff.add(bot.db, "telegram", LAN, point="DKN-BN", name="Lan")
    await staff.add(bot.db, "telegram", HA, point="DKN-BN", name="Hà")
    await staff.add(bot.db, "zalo", MAI, point="DKN-HN", name="Mai")
    for chat_id in ("u1", "u2"):
        await bot.add_user(chat_id, province="bac_ninh", phone="0912345678",
                           display_name=f"Anh Nam {chat_id}")
    return bot


def staff_chat(bot: Bot, who: str, channel: str = "telegram") -> Chat:
    return bot.chat(who, channel=channel)


async def sent_to(bot: Bot, recipient: str) -> list[str]:
    """Texts the outbox holds for this chat (alerts, relays, notices), oldest first."""
    return [r.payload.get("text", "") for r in await bot.rows(OutboxMessage)
            if r.recipient == recipient and r.kind != "reply"]


async def ask_for_staff(bot: Bot, user: str = "u1") -> tuple[Chat, int]:
    chat = bot.chat(user, name=f"Anh Nam {user}")
    await chat.send("toi muon gap can bo")
    handoff = [h for h in await bot.rows(Handoff) if h.chat_id == user][-1]
    return chat, handoff.id


async def test_full_handoff_both_ways_then_the_bot_again(bot: Bot) -> None:
    user, hid = await ask_for_staff(bot)
    assert "cán bộ" in user.text and "/ketthuc" in user.text
    [alert] = await sent_to(bot, LAN)
    assert f"#{hid}" in alert and "Anh Nam u1" in alert and "toi muon gap can bo" in alert
    assert (await sent_to(bot, HA)) == [alert] and await sent_to(bot, MAI) == []

    lan, ha = staff_chat(bot, LAN), staff_chat(bot, HA)
    await lan.press_payload(f"hf:take:{hid}")
    assert "đã tiếp nhận" in lan.text and "/tra" in lan.text
    assert "cán bộ Lan" in (await sent_to(bot, "u1"))[-1]
    await ha.press_payload(f"hf:take:{hid}")  # a moment too late
    assert "đã do cán bộ Lan tiếp nhận" in ha.text

    await user.send("cho hoi may say vai gia bao nhieu", quiet=True)  # no NLU, no form
    assert (await sent_to(bot, LAN))[-1] == f"💬 Anh Nam u1 (#{hid}): cho hoi may say vai gia bao nhieu"
    await bot.app.flush()
    logged = [m for m in await bot.rows(MessageLog) if m.text.startswith("cho hoi may say")]
    assert [m.intent for m in logged] == ["handoff_relay"]
    await lan.send("Chào anh Nam, máy sấy khoảng 300 triệu ạ", quiet=True)
    assert (await sent_to(bot, "u1"))[-1] == "Cán bộ Lan: Chào anh Nam, máy sấy khoảng 300 triệu ạ"
    await user.send("", kind=ContentKind.PHOTO)
    assert "chỉ chuyển được tin nhắn chữ" in user.text
    assert "đã gửi một ảnh" in (await sent_to(bot, LAN))[-1]

    await user.send("/dulieu")
    assert "Trò chuyện với cán bộ" in user.text
    assert "Anh/chị: cho hoi may say vai" in user.text and "Cán bộ Lan: Chào anh Nam" in user.text

    await user.send("/ketthuc")
    assert "đã kết thúc cuộc trò chuyện với cán bộ Lan" in user.text
    assert "đã kết thúc cuộc trò chuyện" in (await sent_to(bot, LAN))[-1]
    await user.send("can cong nghe say vai thieu")  # the bot answers again
    assert user.replies and "Cán bộ" not in user.text
    await lan.send("anh còn đó không?")  # Lan's chat is hers again: no relay
    assert (await sent_to(bot, "u1"))[-1].startswith("Cán bộ Lan: Chào")
    [row] = await bot.rows(Handoff)
    assert (row.status, row.closed_by, row.staff_name) == ("closed", "user", "Lan")
    assert [a.action for a in await bot.rows(AuditEntry)] == ["handoff.take", "handoff.end"]


async def test_staff_end_hands_the_user_back(bot: Bot) -> None:
    user, hid = await ask_for_staff(bot)
    lan = staff_chat(bot, LAN)
    await lan.press_payload(f"hf:take:{hid}")
    await lan.send("/ketthuc")
    assert "đã kết thúc cuộc trò chuyện với Anh Nam u1" in lan.text
    assert "đã kết thúc cuộc trò chuyện" in (await sent_to(bot, "u1"))[-1]
    await user.send("xin chao")  # back to the bot, which answers
    assert user.replies
    await lan.press_payload(f"hf:take:{hid}")  # the old alert button
    assert "đã kết thúc" in lan.text
    await lan.press_payload(f"hf:end:{hid}")
    assert "không do anh/chị phụ trách hoặc đã kết thúc" in lan.text


async def test_asking_twice_opens_one_handoff(bot: Bot) -> None:
    user, hid = await ask_for_staff(bot)
    await user.press_payload("menu:human_handoff")
    assert f"#{hid}" in user.text and "đang chờ" in user.text
    assert len(await bot.rows(Handoff)) == 1 and len(await sent_to(bot, LAN)) == 1
    await user.send("/ketthuc")  # no longer needed
    assert "đã kết thúc" in user.text
    lan = staff_chat(bot, LAN)
    await lan.press_payload(f"hf:take:{hid}")
    assert "đã kết thúc" in lan.text


async def test_forged_stale_and_other_points_buttons(bot: Bot) -> None:
    _, hid = await ask_for_staff(bot)
    lan, mai = staff_chat(bot, LAN), staff_chat(bot, MAI, "zalo")
    for payload in ("hf:take:abc", "hf:take:99999", "hf:take", "hf:nothing:1", "hf:take:-1"):
        await lan.press_payload(payload)
        assert "không còn dùng được" in lan.text, payload
    await mai.press_payload(f"hf:take:{hid}")
    assert "thuộc điểm kết nối khác" in mai.text
    outsider = bot.chat("u2")
    await outsider.press_payload(f"hf:take:{hid}")
    assert "chỉ dành cho cán bộ" in outsider.text
    [row] = await bot.rows(Handoff)
    assert row.status == "open" and row.staff_chat is None


async def test_staff_in_two_conversations_says_to_whom(bot: Bot) -> None:
    u1, first = await ask_for_staff(bot, "u1")
    u2, second = await ask_for_staff(bot, "u2")
    lan = staff_chat(bot, LAN)
    await lan.press_payload(f"hf:take:{first}")
    await lan.press_payload(f"hf:take:{second}")
    await lan.send("Chào anh ạ")
    assert "Gửi tin này cho ai" in lan.text and lan.has_button(f"(#{second})")
    await lan.press(f"(#{second})")
    assert "đã gửi cho Anh Nam u2" in lan.text
    assert (await sent_to(bot, "u2"))[-1] == "Cán bộ Lan: Chào anh ạ"
    assert "Cán bộ Lan: Chào anh ạ" not in await sent_to(bot, "u1")
    await lan.send(f"/tra {first} Em chào anh Nam u1")
    assert (await sent_to(bot, "u1"))[-1] == "Cán bộ Lan: Em chào anh Nam u1"
    await lan.send("/tra abc")
    assert "/tra <số cuộc trò chuyện> <nội dung>" in lan.text
    await lan.send("/ketthuc")
    assert "kết thúc cuộc trò chuyện nào" in lan.text
    await lan.press(f"#{first}")
    assert "Anh Nam u1" in lan.text
    await lan.send("Còn anh u2 thì sao ạ", quiet=True)  # one left: goes straight to u2
    assert (await sent_to(bot, "u2"))[-1] == "Cán bộ Lan: Còn anh u2 thì sao ạ"


async def test_zalo_staff_answers_to_whom_by_number(bot: Bot) -> None:
    await staff.add(bot.db, "zalo-bot", "970", point="DKN-BN", name="Thu")
    _, first = await ask_for_staff(bot, "u1")
    _, second = await ask_for_staff(bot, "u2")
    thu = staff_chat(bot, "970", "zalo-bot")
    await thu.press_payload(f"hf:take:{first}")
    await thu.press_payload(f"hf:take:{second}")

    async def numbered(text: str) -> str:
        replies = await bot.app.handle(Incoming("zalo-bot", "970", "970", text=text,
                                                numbered=True))
        return "\n".join(r.text for r in replies)

    assert "Gửi tin này cho ai" in await numbered("Chào anh, em là Thu")
    assert "đã gửi cho Anh Nam u2" in await numbered("2")
    assert (await sent_to(bot, "u2"))[-1] == "Cán bộ Thu: Chào anh, em là Thu"
    await numbered("Tin thứ hai")
    assert "chưa gửi" in await numbered("3")  # "Không gửi"
    assert await numbered("2") != ""  # nothing held now: "2" is a message, asked to whom
    assert "Tin thứ hai" not in " ".join(await sent_to(bot, "u1") + await sent_to(bot, "u2"))


async def test_staff_removed_mid_handoff_user_goes_back_to_the_queue(bot: Bot) -> None:
    user, hid = await ask_for_staff(bot)
    lan = staff_chat(bot, LAN)
    await lan.press_payload(f"hf:take:{hid}")
    await staff.remove(bot.db, "telegram", LAN)
    await user.send("alo chi Lan oi", quiet=True)
    assert "không còn phụ trách" in (await sent_to(bot, "u1"))[-1]
    [row] = await bot.rows(Handoff)
    assert (row.status, row.staff_chat, row.rounds) == ("open", None, 2)
    assert len(await sent_to(bot, HA)) == 2  # alerted again
    await lan.send("chị đây")
    assert "Cán bộ Lan: chị đây" not in await sent_to(bot, "u1")
    await user.send("can cong nghe say vai thieu")  # waiting again: the bot answers meanwhile
    assert user.replies


async def test_removed_staff_found_by_the_job(bot: Bot) -> None:
    _, hid = await ask_for_staff(bot)
    await staff_chat(bot, LAN).press_payload(f"hf:take:{hid}")
    await staff.remove(bot.db, "telegram", LAN)
    settings = Settings(database_url=bot.url)
    assert (await run_jobs(bot.db, settings, NOW + timedelta(minutes=1))).handoffs == 1
    assert (await run_jobs(bot.db, settings, NOW + timedelta(minutes=2))).handoffs == 0
    assert "không còn phụ trách" in (await sent_to(bot, "u1"))[-1]


async def test_user_who_blocked_the_bot(bot: Bot) -> None:
    _, hid = await ask_for_staff(bot)
    lan = staff_chat(bot, LAN)
    await lan.press_payload(f"hf:take:{hid}")
    await users.set_account_active(bot.db, "console", "u1", False)  # a send failed: blocked
    await lan.send("Anh Nam ơi?")
    assert "chưa gửi được tới Anh Nam u1" in lan.text
    settings = Settings(database_url=bot.url)
    await run_jobs(bot.db, settings, NOW + timedelta(minutes=1))
    assert "không gửi được" in (await sent_to(bot, LAN))[-1]
    [row] = await bot.rows(Handoff)
    assert (row.status, row.closed_by) == ("closed", "blocked")


async def test_nobody_takes_it_in_working_hours(bot: Bot) -> None:
    user, hid = await ask_for_staff(bot)  # Wednesday 10:00
    assert "đang trong giờ làm việc" in user.text
    settings = Settings(database_url=bot.url, handoff_wait=600)
    assert (await run_jobs(bot.db, settings, NOW + timedelta(minutes=5))).handoffs == 0
    assert (await run_jobs(bot.db, settings, NOW + timedelta(minutes=11))).handoffs == 1
    assert (await run_jobs(bot.db, settings, NOW + timedelta(minutes=12))).handoffs == 0
    told = (await sent_to(bot, "u1"))[-1]
    assert "chưa tiếp nhận" in told and "hôm nay (đến 17:00)" in told
    [row] = await bot.rows(Handoff)
    assert row.status == "open"  # still waiting for staff, and on their list
    lan = staff_chat(bot, LAN)
    await lan.send("/hoithoai")
    assert f"#{hid}" in lan.text and lan.has_button(f"Tiếp nhận #{hid}")
    await lan.send("/nhucau")
    assert f"Xem số {row.demand_id}" in lan.labels


async def test_late_afternoon_request_is_told_the_next_opening(open_bot: OpenBot) -> None:
    at_1655 = datetime(2026, 11, 25, 9, 55, tzinfo=UTC)  # Wednesday 16:55 in Vietnam
    bot = await open_bot(connection_point(), seeded=False, now=at_1655)
    await bot.add_user("u1", province="bac_ninh", phone="0912345678")
    await ask_for_staff(bot)
    settings = Settings(database_url=bot.url)
    assert (await run_jobs(bot.db, settings, at_1655 + timedelta(minutes=11))).handoffs == 1
    told = (await sent_to(bot, "u1"))[-1]
    assert "ngoài giờ làm việc" in told and "8:00 sáng mai (thứ Năm, 26/11)" in told


async def test_out_of_hours_request_told_once(open_bot: OpenBot) -> None:
    saturday_night = datetime(2026, 11, 28, 14, 0, tzinfo=UTC)  # 21:00 Saturday
    bot = await open_bot(connection_point(), seeded=False, now=saturday_night)
    await bot.add_user("u1", province="bac_ninh", phone="0912345678")
    user, _ = await ask_for_staff(bot)
    assert "ngoài giờ làm việc" in user.text and "8:00 thứ Hai, 30/11" in user.text
    settings = Settings(database_url=bot.url)
    assert (await run_jobs(bot.db, settings, saturday_night + timedelta(hours=1))).handoffs == 0
    assert await sent_to(bot, "u1") == []
