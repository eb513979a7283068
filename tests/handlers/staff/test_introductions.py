"""Expert introductions: "Kết nối: <expert>" and find_expert demands create a request for the
staff of the user's point; staff mark it contacted / agreed / declined; the user is told at each
step, and reads the expert's contact only when the expert consented or staff recorded their
agreement. Stale, forged and concurrent presses change nothing they should not."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import update

from bot.types import outgoing_from_dict
from storage.models import AuditEntry, Expert, Introduction, OutboxMessage
from storage.repos import introductions, staff
from tests.handlers.chat import NOW, Bot, Chat, OpenBot, finish_contact

NEED = "cần chuyên gia tư vấn xử lý nước thải trại lợn ở Đồng Nai"
SECRET_PHONE = "0987000111"
SECRET_MAIL = "chuyen.gia@bi-mat.demo.vn"


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(now=NOW)


async def _find_expert(bot: Bot, user: str = "u1") -> tuple[Chat, int, list[int]]:
    """A find_expert demand; the matched experts' contacts are made secret (not consented)."""
    chat = bot.chat(user, name="Minh")
    await chat.send(NEED)
    while "tên doanh nghiệp" not in chat.text:
        await chat.press("Bỏ qua") if chat.has_button("Bỏ qua") else await chat.send("bỏ qua")
    await finish_contact(chat)
    async with bot.db.transaction() as s:
        await s.execute(update(Expert).values(
            consent_contact=False, contact={"phone": SECRET_PHONE, "email": SECRET_MAIL}))
    await chat.press("Xác nhận")
    demand = max(await bot.demands(), key=lambda d: d.id)
    assert demand.type == "find_expert" and demand.matched_expert_ids
    return chat, demand.id, list(demand.matched_expert_ids)


async def _user_texts(bot: Bot, chat: Chat, recipient: str = "u1") -> str:
    """Everything the user read: the chat's replies and the outbox messages to them."""
    queued = [outgoing_from_dict(r.payload).text for r in await bot.rows(OutboxMessage)
              if r.recipient == recipient and r.kind != "staff_alert"]
    return "\n".join([*queued, *(r.text for r in chat.replies)])


async def _alerts(bot: Bot, recipient: str) -> list[OutboxMessage]:
    return [r for r in await bot.rows(OutboxMessage)
            if r.kind == "staff_alert" and r.recipient == recipient
            and "giới thiệu chuyên gia" in r.payload["text"]]


async def test_request_contacted_agreed_with_the_contact_only_then(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW", name="Lan")
    chat, demand_id, experts = await _find_expert(bot)
    [waiting] = await bot.rows(Introduction)  # the find_expert demand's own request
    assert waiting.expert_id is None and waiting.demand_id == demand_id
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[0]}")
    assert "muốn kết nối với chuyên gia" in chat.text
    assert SECRET_PHONE not in await _user_texts(bot, chat)
    [intro] = await bot.rows(Introduction)  # the waiting request got the expert: no duplicate
    assert intro.expert_id == experts[0]
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[0]}")  # pressed twice
    assert "đã được ghi nhận trước đó" in chat.text and len(await bot.rows(Introduction)) == 1
    [alert] = await _alerts(bot, "tw")
    shown = outgoing_from_dict(alert.payload)
    assert SECRET_PHONE in shown.text  # staff make the call
    assert [b.label for b in shown.buttons] == ["Đã liên hệ chuyên gia", "Chuyên gia đồng ý",
                                                "Không phù hợp"]
    lan = bot.chat("tw", channel="telegram")
    await lan.press_payload(shown.buttons[0].payload)
    assert "đã liên hệ chuyên gia" in lan.text
    told = await _user_texts(bot, chat)
    assert "đã liên hệ" in told and SECRET_PHONE not in told and SECRET_MAIL not in told
    await lan.send("/gioithieu")
    assert f"Giới thiệu chuyên gia số {intro.id}" in lan.text
    await lan.press("Chuyên gia đồng ý")
    assert "chuyên gia đồng ý" in lan.text
    told = await _user_texts(bot, chat)
    assert "đã đồng ý trao đổi" in told and SECRET_PHONE in told
    await lan.press_payload(f"gt:declined:{intro.id}")  # stale: already decided
    assert "không chuyển sang" in lan.text
    actions = [e.action for e in await bot.rows(AuditEntry) if e.action.startswith("intro")]
    assert actions == ["introduction.contacted", "introduction.agreed"]


async def test_declined_never_shows_the_contact_and_consented_shows_it_at_once(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW")
    chat, demand_id, experts = await _find_expert(bot)
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[0]}")
    [intro] = await bot.rows(Introduction)
    lan = bot.chat("tw", channel="telegram")
    await lan.press_payload(f"gt:declined:{intro.id}")
    told = await _user_texts(bot, chat)
    assert "chưa phù hợp" in told and SECRET_PHONE not in told and SECRET_MAIL not in told
    # search results and expert cards never carry a contact
    await chat.send("tìm chuyên gia xử lý nước thải chăn nuôi")
    for text in (await _user_texts(bot, chat),):
        assert SECRET_PHONE not in text and SECRET_MAIL not in text
    hits = await bot.app.services.search.experts(bot.db, "nước thải chăn nuôi", k=10)
    assert hits and all(SECRET_PHONE not in str(h.to_dict()) for h in hits)
    if len(experts) > 1:  # an expert who consented: their contact is given at once
        async with bot.db.transaction() as s:
            await s.execute(update(Expert).where(Expert.id == experts[1])
                            .values(consent_contact=True))
        await chat.press_payload(f"tm:exp:{demand_id}:{experts[1]}")
        assert "đồng ý chia sẻ liên hệ" in chat.text and SECRET_PHONE in chat.text


async def test_request_without_expert_staff_pick_one(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW")
    _, demand_id, experts = await _find_expert(bot)
    [intro] = await bot.rows(Introduction)
    lan = bot.chat("tw", channel="telegram")
    await lan.send("/gioithieu")
    assert "đang tìm chuyên gia" in lan.text and lan.labels[-1] == "Không phù hợp"
    for status in ("agreed", "contacted"):
        await lan.press_payload(f"gt:{status}:{intro.id}")  # no expert yet: refused
        assert "cần chọn chuyên gia" in lan.text
    await lan.send("/gioithieu")
    assert lan.labels[0].startswith("Đã liên hệ:")  # the demand's matched experts to pick from
    await lan.press(lan.labels[0])
    [row] = await bot.rows(Introduction)
    assert row.expert_id == experts[0] and row.status == "contacted"
    assert lan.labels == ["Chuyên gia đồng ý", "Không phù hợp"]


async def test_forged_other_point_and_race(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "hn", point="DKN-HN")
    await staff.add(bot.db, "telegram", "tw1", point="DKN-TW", name="A")
    await staff.add(bot.db, "telegram", "tw2", point="DKN-TW", name="B")
    chat, demand_id, experts = await _find_expert(bot)
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[0]}")
    [intro] = await bot.rows(Introduction)
    point = (await introductions.card(bot.db, intro.id)).point_code
    other = bot.chat("hn", channel="telegram")
    if point != "DKN-HN":
        await other.press_payload(f"gt:agreed:{intro.id}")
        assert "thuộc điểm kết nối khác" in other.text
    for forged in ("gt:agreed:99999", "gt:agreed:x", "gt:zap:1", "gt:agreed", "gt:agreed:1:2:3"):
        await other.press_payload(forged)
        assert other.text.startswith("Dạ"), forged
    async with bot.db.transaction() as s:  # an expert who left the catalog
        await s.execute(update(Expert).where(Expert.id == experts[-1]).values(archived_at=NOW))
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[-1]}")
    assert "không tìm thấy nhu cầu" in chat.text and len(await bot.rows(Introduction)) == 1
    stranger = bot.chat("u9")  # another user cannot ask on this demand
    await stranger.press_payload(f"tm:exp:{demand_id}:{experts[0]}")
    assert "không tìm thấy nhu cầu" in stranger.text
    results = await asyncio.gather(
        *(introductions.decide(bot.db, intro.id, status, who)
          for status, who in (("agreed", "telegram:tw1"), ("declined", "telegram:tw2"))),
        return_exceptions=True)
    assert sum(not isinstance(r, Exception) for r in results) == 1
    [row] = await bot.rows(Introduction)
    assert row.status in ("agreed", "declined")
    decided = [e for e in await bot.rows(AuditEntry) if e.action.startswith("introduction.")]
    assert len(decided) == 1


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_two_staff_decide_at_once_exactly_one_wins(open_bot: OpenBot, database: str) -> None:
    bot = await open_bot(now=NOW, database=database)
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW")
    chat, demand_id, experts = await _find_expert(bot)
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[0]}")
    [intro] = await bot.rows(Introduction)
    choices = [("agreed", "contacted", "declined")[i % 3] for i in range(5)]
    results = await asyncio.gather(
        *(introductions.decide(bot.db, intro.id, status, f"telegram:s{i}")
          for i, status in enumerate(choices)), return_exceptions=True)
    winners = [r for r in results if not isinstance(r, BaseException)]
    assert len(winners) == 1, results
    assert all("vừa được" in str(r) or "không chuyển sang" in str(r)
               for r in results if isinstance(r, BaseException))
    entries = [e for e in await bot.rows(AuditEntry) if e.action.startswith("introduction.")]
    assert len(entries) == 1


async def test_erased_user_is_not_told_and_nothing_breaks(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW")
    chat, demand_id, experts = await _find_expert(bot)
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[0]}")
    [intro] = await bot.rows(Introduction)
    await chat.send("/dulieu")
    assert "Yêu cầu giới thiệu chuyên gia (1)" in chat.text and "chờ xử lý" in chat.text
    await chat.send("/xoadulieu")
    await chat.press("Xóa dữ liệu") if chat.has_button("Xóa dữ liệu") else await chat.send("có")
    user = await bot.user("u1")
    assert user is None or not user.active
    before = len(await bot.rows(OutboxMessage))
    lan = bot.chat("tw", channel="telegram")
    await lan.press_payload(f"gt:agreed:{intro.id}")
    assert "chuyên gia đồng ý" in lan.text
    assert len(await bot.rows(OutboxMessage)) == before  # nobody to tell


async def test_odd_numbers_in_payloads_get_a_clear_answer(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW")
    lan = bot.chat("tw", channel="telegram")
    user = bot.chat("u5", channel="zalo")
    for payload in ("gt:agreed:²", "gt:agreed:99999999999999999999", "nc:card:99999999999999999999",
                    "nc:prop:1:t99999999999999999999", "dt:ok:99999999999999999999", "dt:ask:²"):
        await lan.press_payload(payload)
        assert lan.text.startswith("Dạ") and "lỗi" not in lan.text, payload
    for payload in ("of:ans:²", "of:ans:99999999999999999999", "of:ans:", "of:zz"):
        await user.press_payload(payload)
        assert "không còn hiệu lực" in user.text, payload


async def test_demand_card_leads_to_its_introductions(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW")
    await staff.add(bot.db, "telegram", "hn", point="DKN-HN")
    chat, demand_id, experts = await _find_expert(bot)
    await chat.press_payload(f"tm:exp:{demand_id}:{experts[0]}")
    lan = bot.chat("tw", channel="telegram")
    await lan.press_payload(f"nc:card:{demand_id}")
    await lan.press("Giới thiệu chuyên gia")
    assert "Giới thiệu chuyên gia số" in lan.text and "Chuyên gia đồng ý" in lan.labels
    other = bot.chat("hn", channel="telegram")
    await other.press_payload(f"gt:dm:{demand_id}")
    point = (await introductions.card(bot.db, (await bot.rows(Introduction))[0].id)).point_code
    if point != "DKN-HN":
        assert "chưa có yêu cầu giới thiệu" in other.text and "Chuyên gia" not in other.text
