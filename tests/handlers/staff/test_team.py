"""On duty and fallback: alerts go to the point's staff on duty, nobody on duty → its fallback
staff → the national point. Admins manage staff in chat; other staff are refused, nothing
changes; every change is audited."""

from __future__ import annotations

import pytest

from storage.models import AuditEntry, OutboxMessage, Staff
from storage.repos import staff, staff_invites
from tests.handlers.chat import ACCEPTANCE, NOW, Bot, OpenBot, finish_contact


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(now=NOW)


async def _alerted(bot: Bot) -> list[str]:
    """Submit the Bắc Giang demand (routed to Bắc Ninh); who got its alert."""
    user = bot.chat(f"u{len(await bot.demands())}", name="Minh")
    await user.send(ACCEPTANCE)
    await finish_contact(user)
    await user.press("Xác nhận")
    newest = max(d.id for d in await bot.demands())
    return sorted(r.recipient for r in await bot.rows(OutboxMessage)
                  if r.kind == "staff_alert" and f"số {newest} " in r.payload["text"])


async def test_each_step_of_the_duty_chain(bot: Bot) -> None:
    db = bot.db
    await staff.add(db, "telegram", "bn1", point="DKN-BN", name="Lan")
    await staff.add(db, "telegram", "bn2", point="DKN-BN", name="Hùng")
    await staff.add(db, "zalo", "bnf", point="DKN-BN", name="Dự phòng", fallback=True)
    await staff.add(db, "telegram", "tw1", point="DKN-TW", name="Quốc gia")
    await staff.add(db, "telegram", "twf", point="DKN-TW", name="QG dự phòng", fallback=True)
    await staff.set_duty(db, "zalo", "bnf", False)
    await staff.set_duty(db, "telegram", "twf", False)
    # 1. staff on duty of the point (the fallback member is off duty: not alerted)
    assert await _alerted(bot) == ["bn1", "bn2"]
    assert "cán bộ dự phòng" not in (await bot.rows(OutboxMessage))[-1].payload["text"]
    # 2. one goes off duty: only the other
    lan = bot.chat("bn1", channel="telegram")
    await lan.send("/trucban tắt")
    assert "nghỉ trực" in lan.text
    assert await _alerted(bot) == ["bn2"]
    # 3. nobody of the point on duty → the point's fallback staff
    await staff.set_duty(db, "telegram", "bn2", False)
    assert await _alerted(bot) == ["bnf"]
    assert "gửi cán bộ dự phòng" in (await bot.rows(OutboxMessage))[-1].payload["text"]
    # 4. no fallback either → the national point's staff on duty
    await staff.add(db, "zalo", "bnf", point="DKN-BN", fallback=False)
    assert await _alerted(bot) == ["tw1"]
    assert "chuyển điểm quốc gia" in (await bot.rows(OutboxMessage))[-1].payload["text"]
    # 5. nobody on duty there → the national fallback
    await staff.set_duty(db, "telegram", "tw1", False)
    assert await _alerted(bot) == ["twf"]
    # back on duty by button
    await lan.send("/trucban")
    await lan.press("Bắt đầu trực")
    assert "đã vào trực" in lan.text
    assert await _alerted(bot) == ["bn1"]
    duty = [e for e in await bot.rows(AuditEntry) if e.action == "staff.duty"]
    assert [e.details["on_duty"] for e in duty if e.actor.startswith("telegram:bn1")] == [False,
                                                                                           True]


async def test_admin_manages_the_points_staff(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "ad", point="DKN-BN", name="Quản trị", role="admin")
    await staff.add(bot.db, "telegram", "hn", point="DKN-HN", name="Hà Nội")
    admin = bot.chat("ad", channel="telegram")
    await admin.send("/canbo them zalo 8123 Trần Thị B")
    assert "Trần Thị B" in admin.text and "DKN-BN" in admin.text
    new = await staff.find(bot.db, "zalo", "8123")
    assert new is not None and new.point == "DKN-BN" and new.role == "staff"
    await admin.press("Đặt dự phòng")
    await admin.press("Nghỉ trực")
    new = await staff.find(bot.db, "zalo", "8123")
    assert new is not None and new.fallback and not new.on_duty
    await admin.send("/canbo ds")
    assert "Trần Thị B" in admin.text and "Hà Nội" not in admin.text  # own point only
    await admin.press_payload("cb:m:telegram:hn")  # another point's member: refused
    assert "không (còn) là cán bộ của điểm" in admin.text
    await admin.send("/canbo them telegram hn Đổi tên")  # nor taken over
    assert (await staff.find(bot.db, "telegram", "hn")).point == "DKN-HN"  # type: ignore[union-attr]
    await admin.press_payload("cb:pt:zalo:8123")  # only the national admin moves staff
    assert "điểm quốc gia" in admin.text
    await admin.press_payload("cb:rm:telegram:ad")
    assert "không tự xoá" in admin.text
    await admin.press_payload("cb:rm:zalo:8123")
    await admin.send("có")
    assert "đã bỏ quyền cán bộ" in admin.text
    assert await staff.find(bot.db, "zalo", "8123") is None
    actions = [e.action for e in await bot.rows(AuditEntry) if e.actor.startswith("telegram:ad")]
    assert actions == ["staff.add", "staff.add", "staff.duty", "staff.remove"]


async def test_non_admin_staff_refused_nothing_changes(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "s1", point="DKN-BN", name="Cán bộ")
    await staff.add(bot.db, "telegram", "s2", point="DKN-BN", name="Đồng nghiệp")
    before = [(r.channel, r.user_id, r.on_duty, r.fallback, r.connection_point_id)
              for r in await bot.rows(Staff)]
    chat = bot.chat("s1", channel="telegram")
    for text in ("/canbo them zalo 999", "/canbo ds"):
        await chat.send(text)
        assert "chỉ dành cho quản trị viên" in chat.text, text
    for payload in ("cb:ls", "cb:rmy:telegram:s2", "cb:duty:telegram:s2:off",
                    "cb:fb:telegram:s2:on", "cb:pt:telegram:s2:DKN-TW"):
        await chat.press_payload(payload)
        assert "chỉ dành cho quản trị viên" in chat.text, payload
    after = [(r.channel, r.user_id, r.on_duty, r.fallback, r.connection_point_id)
             for r in await bot.rows(Staff)]
    assert after == before
    await chat.send("/canbo")  # their own card still works
    assert "Cán bộ" in chat.text and "/trucban" in chat.text


async def test_national_admin_moves_staff_between_points(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "na", point="DKN-TW", role="admin")
    await staff.add(bot.db, "telegram", "s1", point="DKN-BN", name="Lan")
    admin = bot.chat("na", channel="telegram")
    await admin.press_payload("cb:pt:telegram:s1")
    assert "sang điểm nào" in admin.text
    await admin.press_payload("cb:pt:telegram:s1:DKN-HN")
    assert (await staff.find(bot.db, "telegram", "s1")).point == "DKN-HN"  # type: ignore[union-attr]


async def test_share_code_adds_a_colleague_on_any_channel_once(open_bot: OpenBot) -> None:
    from datetime import timedelta

    bot = await open_bot(now=NOW)
    await staff.add(bot.db, "telegram", "ad", point="DKN-BN", name="Quản trị", role="admin")
    admin = bot.chat("ad", channel="telegram")
    await admin.send("/canbo ma")
    code = next(w for w in admin.text.split() if w.startswith("KN-"))
    assert "/thamgia" in admin.text and "dùng một lần" in admin.text
    newcomer = bot.chat("z77", channel="zalo", name="Trần Thị B")
    await newcomer.send("/canbo")  # not staff yet
    assert "chỉ dành cho cán bộ" in newcomer.text
    await newcomer.send(f"/thamgia {code.lower()}")  # typed in lower case: still the code
    assert "chào mừng" in newcomer.text and "Bắc Ninh" in newcomer.text
    member = await staff.find(bot.db, "zalo", "z77")
    assert member is not None and member.point == "DKN-BN" and member.role == "staff"
    other = bot.chat("z78", channel="zalo")
    await other.send(f"/thamgia {code}")  # used once
    assert "không đúng, đã dùng hoặc đã hết hạn" in other.text
    assert await staff.find(bot.db, "zalo", "z78") is None
    await other.send("/thamgia KN-NOTACODE")
    assert "không đúng" in other.text
    plain = bot.chat("z77", channel="zalo")
    await plain.send("/canbo ma")  # the newcomer is not an admin
    assert "chỉ dành cho quản trị viên" in plain.text
    actions = [e.action for e in await bot.rows(AuditEntry)]
    assert actions == ["staff.invite", "staff.join"]
    code, until = await staff_invites.create(bot.db, "DKN-BN", "cli", now=NOW)
    assert until == NOW + timedelta(hours=24)
    with pytest.raises(staff_invites.InvalidInvite):  # a code expires after a day
        await staff_invites.join(bot.db, code, "zalo", "z79", None,
                                 now=NOW + timedelta(hours=25))
    assert await staff.find(bot.db, "zalo", "z79") is None
