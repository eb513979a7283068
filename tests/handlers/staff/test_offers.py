"""/duyet: staff approve an offered technology (in the catalog and the search at once) or reject
it with a reason; the offerer is told; stale buttons change nothing."""

from __future__ import annotations

import asyncio

import pytest

from bot.types import outgoing_from_dict
from handlers.offer_text import approved
from storage.models import AuditEntry, OfferQuestion, OutboxMessage, Technology
from storage.repos import catalog, offers, staff
from tests.handlers.chat import Bot, OpenBot


async def _offer(bot: Bot, title: str, user_id: str = "u1") -> Technology:
    user = await bot.add_user(user_id, channel="zalo")
    return await catalog.offer_technology(
        bot.db, user, title=title, summary="Máy bóc vỏ hạt điều liên hoàn 500 kg/giờ",
        description="Máy bóc vỏ hạt điều liên hoàn 500 kg/giờ", sector="agri_processing",
        keywords=[], provider="Viện Cơ điện NN")


async def _told(bot: Bot, recipient: str) -> list[str]:
    return [outgoing_from_dict(r.payload).text for r in await bot.rows(OutboxMessage)
            if r.kind == "update" and r.recipient == recipient]


async def test_approve_joins_catalog_and_search_at_once(bot: Bot) -> None:
    tech = await _offer(bot, "Máy bóc vỏ hạt điều liên hoàn")
    before = await bot.app.services.search.technologies(bot.db, "bóc vỏ hạt điều", k=5)
    assert tech.id not in [h.id for h in before]
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    lan = bot.chat("900", channel="telegram")
    await lan.send("/duyet")
    assert "Máy bóc vỏ hạt điều" in lan.text and lan.labels == ["Duyệt", "Cần bổ sung", "Từ chối"]
    await lan.press("Duyệt")
    assert "đã duyệt" in lan.text
    after = await bot.app.services.search.technologies(bot.db, "bóc vỏ hạt điều", k=5)
    assert tech.id in [h.id for h in after]
    [told] = await _told(bot, "u1")
    assert "đã được Trung tâm duyệt" in told
    await lan.press_payload(f"dt:ok:{tech.id}")  # stale: pressed twice
    assert "không còn chờ duyệt" in lan.text
    [entry] = await bot.rows(AuditEntry)
    assert entry.action == "offer.approve" and entry.actor == "telegram:900 (Lan)"


async def test_reject_with_a_reason_the_offerer_reads(bot: Bot) -> None:
    tech = await _offer(bot, "Máy bóc vỏ hạt điều", "u2")
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(f"dt:no:{tech.id}")
    assert "lý do" in lan.text
    await lan.send("Hồ sơ chưa có kết quả thử nghiệm")
    assert "đã từ chối" in lan.text
    [told] = await _told(bot, "u2")
    assert "Hồ sơ chưa có kết quả thử nghiệm" in told
    [row] = [t for t in await bot.rows(Technology) if t.id == tech.id]
    assert row.status == "archived"
    for forged in ("dt:ok:abc", "dt:ok:99999", "dt:zz"):
        await lan.press_payload(forged)
        assert lan.text.startswith("Dạ"), forged
    await lan.send("/duyet")
    assert "không có công nghệ nào chờ duyệt" in lan.text


async def _offer_in_chat(bot: Bot, user_id: str, channel: str) -> Technology:
    """The offerer fills the offer form in their own chat."""
    chat = bot.chat(user_id, channel=channel)
    await chat.send("chúng tôi muốn chào bán công nghệ")
    await chat.send("Máy sấy bơm nhiệt 500 kg/mẻ")
    await chat.send("Sấy nông sản bằng bơm nhiệt, tiết kiệm 40% điện so với sấy điện trở")
    if "lĩnh vực nào" in chat.text:
        await chat.press("Chế biến")
    await chat.press("Đã thương mại hóa")
    await chat.press("Mua bán")
    await chat.send("Viện Cơ điện nông nghiệp")
    await chat.send("vien@vcd.vn")
    await chat.press("Xác nhận")
    [tech] = [t for t in await bot.rows(Technology) if t.status == "pending_review"]
    return tech


async def _alerts(bot: Bot, recipient: str) -> list[str]:
    return [outgoing_from_dict(r.payload).text for r in await bot.rows(OutboxMessage)
            if r.kind == "staff_alert" and r.recipient == recipient]


async def test_more_information_round_trip_across_channels(bot: Bot) -> None:
    tech = await _offer_in_chat(bot, "z1", "zalo")
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    lan = bot.chat("900", channel="telegram")
    await lan.send("/duyet")
    assert lan.labels == ["Duyệt", "Cần bổ sung", "Từ chối"]
    await lan.press("Cần bổ sung")
    await lan.send("Máy đã lắp đặt ở cơ sở nào, công suất điện bao nhiêu kW?")
    assert "đã gửi câu hỏi" in lan.text
    [asked] = await _told(bot, "z1")
    assert "công suất điện bao nhiêu kW" in asked and "Máy sấy bơm nhiệt" in asked
    await lan.send("/duyet")
    assert "đang chờ người chào bán trả lời" in lan.text

    offerer = bot.chat("z1", channel="zalo")  # their next message is the answer
    await offerer.send("Đã lắp tại HTX Lục Ngạn, công suất 15 kW")
    assert "đã chuyển câu trả lời" in offerer.text and offerer.buttons  # the menu: dialogue goes on
    [back] = await _alerts(bot, "900")
    assert "Đã lắp tại HTX Lục Ngạn, công suất 15 kW" in back and "công suất điện" in back
    await lan.send("/duyet")
    assert "Trả lời: Đã lắp tại HTX Lục Ngạn" in lan.text
    assert lan.labels == ["Duyệt", "Cần bổ sung", "Từ chối"]

    await offerer.send("tôi muốn tìm công nghệ sấy vải thiều")  # no open question: normal dialogue
    assert "đã chuyển câu trả lời" not in offerer.text
    assert len(await _alerts(bot, "900")) == 1
    await offerer.press_payload(f"of:ans:{tech.id + 999}")  # forged
    assert "không còn hiệu lực" in offerer.text or "đã được trả lời" in offerer.text
    await lan.press("Duyệt")
    assert "đã duyệt" in lan.text
    actions = [e.action for e in await bot.rows(AuditEntry)]
    assert actions == ["offer.ask", "offer.answer", "offer.approve"]


async def test_answer_by_button_and_second_question(bot: Bot) -> None:
    tech = await _offer(bot, "Máy bóc vỏ hạt điều", "u3")  # offered before: no chat marker
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(f"dt:ask:{tech.id}")
    await lan.send("Giá bán đã gồm lắp đặt chưa?")
    [asked] = [r for r in await bot.rows(OutboxMessage) if r.recipient == "u3"]
    [button] = outgoing_from_dict(asked.payload).buttons
    offerer = bot.chat("u3", channel="zalo")
    await offerer.press_payload(button.payload)
    assert "câu trả lời" in offerer.text
    await offerer.send("Đã gồm lắp đặt và đào tạo vận hành")
    assert "đã chuyển câu trả lời" in offerer.text
    await offerer.press_payload(button.payload)  # pressed again: already answered
    assert "đã được trả lời" in offerer.text
    assert len(await _alerts(bot, "900")) == 1
    await staff.remove(bot.db, "telegram", "900")  # the asker left: the national point is told
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW")
    await staff.add(bot.db, "telegram", "901", point="DKN-BN", name="Hùng")
    hung = bot.chat("901", channel="telegram")
    await hung.press_payload(f"dt:ask:{tech.id}")
    await hung.send("Bảo hành bao lâu?")
    await staff.remove(bot.db, "telegram", "901")
    await offerer.press_payload(f"of:ans:{tech.id}")  # not a question id of theirs
    await offerer.send("/huy")
    offerer2 = bot.chat("u3", channel="zalo")
    [q2] = [r for r in await bot.rows(OutboxMessage) if r.recipient == "u3"][1:]
    await offerer2.press_payload(outgoing_from_dict(q2.payload).buttons[0].payload)
    await offerer2.send("Bảo hành 24 tháng")
    [national] = await _alerts(bot, "tw")
    assert "Bảo hành 24 tháng" in national


async def test_questions_refused_for_decided_or_catalog_offers(bot: Bot) -> None:
    tech = await _offer(bot, "Máy bóc vỏ hạt điều", "u4")
    await staff.add(bot.db, "telegram", "900", point="DKN-TW", name="Lan")
    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(f"dt:ok:{tech.id}")
    await lan.press_payload(f"dt:ask:{tech.id}")
    await lan.send("Còn thiếu gì?")
    assert "không còn chờ duyệt" in lan.text
    [catalog_tech] = [t for t in await bot.rows(Technology) if t.submitted_by_id is None][:1]
    catalog_tech.status = "pending_review"
    await bot.add(catalog_tech)
    await lan.press_payload(f"dt:ask:{catalog_tech.id}")
    await lan.send("Còn thiếu gì?")
    assert "không do người dùng chat chào bán" in lan.text
    assert [e.action for e in await bot.rows(AuditEntry)] == ["offer.approve"]


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
async def test_two_reviewers_deciding_at_once_exactly_one_wins(open_bot: OpenBot,
                                                               database: str) -> None:
    bot = await open_bot(database=database)
    tech = await _offer(bot, "Máy bóc vỏ hạt điều", "u5")
    results = await asyncio.gather(
        *(offers.decide(bot.db, tech.id, i % 2 == 0, f"telegram:{i}",
                        reason=None if i % 2 == 0 else "Thiếu hồ sơ", tell=approved)
          for i in range(5)),
        return_exceptions=True)
    assert sum(not isinstance(r, BaseException) for r in results) == 1, results
    decided = [e for e in await bot.rows(AuditEntry) if e.action.startswith("offer.")]
    assert len(decided) == 1
    assert len([r for r in await bot.rows(OutboxMessage) if r.recipient == "u5"]) == 1


async def test_no_question_to_an_erased_offerer(bot: Bot) -> None:
    from storage.repos import privacy

    tech = await _offer(bot, "Máy bóc vỏ hạt điều", "u6")
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    user = await bot.user("u6", channel="zalo")
    assert user is not None
    await privacy.forget(bot.db, user.id)
    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(f"dt:ask:{tech.id}")
    await lan.send("Còn thiếu gì?")
    assert "ngừng dùng dịch vụ" in lan.text
    assert await bot.rows(OfferQuestion) == []
    await lan.press_payload(f"dt:ok:{tech.id}")  # still decidable; nobody to tell
    assert "đã duyệt" in lan.text
    assert [r for r in await bot.rows(OutboxMessage) if r.kind == "update"] == []


async def test_offers_with_a_known_province_go_to_that_points_staff(bot: Bot) -> None:
    tech = await _offer(bot, "Máy bóc vỏ hạt điều", "u7")
    async with bot.db.transaction() as s:
        from sqlalchemy import update

        from storage.models import User
        await s.execute(update(User).where(User.external_id == "u7").values(province="bac_ninh"))
    await staff.add(bot.db, "telegram", "bn", point="DKN-BN", name="Bắc Ninh")
    await staff.add(bot.db, "telegram", "hn", point="DKN-HN", name="Hà Nội")
    await staff.add(bot.db, "telegram", "tw", point="DKN-TW", name="Quốc gia")
    hn = bot.chat("hn", channel="telegram")
    await hn.send("/duyet")
    assert "Máy bóc vỏ hạt điều" not in hn.text
    for payload in (f"dt:ok:{tech.id}", f"dt:no:{tech.id}", f"dt:ask:{tech.id}"):
        await hn.press_payload(payload)  # forged: another point's offer
        assert "thuộc điểm kết nối khác" in hn.text, payload
    [row] = [t for t in await bot.rows(Technology) if t.id == tech.id]
    assert row.status == "pending_review"
    for member in ("bn", "tw"):
        chat = bot.chat(member, channel="telegram")
        await chat.send("/duyet")
        assert "Máy bóc vỏ hạt điều" in chat.text, member
    await bot.chat("tw", channel="telegram").press_payload(f"dt:ok:{tech.id}")
    assert [e.action for e in await bot.rows(AuditEntry)] == ["offer.approve"]
