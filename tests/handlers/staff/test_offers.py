"""/duyet: staff approve an offered technology (in the catalog and the search at once) or reject
it with a reason; the offerer is told; stale buttons change nothing."""

from __future__ import annotations

from bot.types import outgoing_from_dict
from storage.models import AuditEntry, OutboxMessage, Technology
from storage.repos import catalog, staff
from tests.handlers.chat import Bot


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
    assert "Máy bóc vỏ hạt điều" in lan.text and lan.labels == ["Duyệt", "Từ chối"]
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
