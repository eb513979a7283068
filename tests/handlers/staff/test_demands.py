"""/nhucau and the demand pipeline in chat: the alert to the routed point's staff, take,
propose, connected, close with a note; the enterprise told at each step; scoping and stale
buttons refused without changing anything."""

from __future__ import annotations

import pytest

from bot.types import outgoing_from_dict
from storage.models import AuditEntry, DemandStatusChange, OutboxMessage
from storage.repos import staff
from tests.handlers.chat import ACCEPTANCE, NOW, Bot, OpenBot, finish_contact


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(now=NOW)


async def _submit(bot: Bot) -> int:
    user = bot.chat("u1", name="Minh")
    await user.send(ACCEPTANCE)
    await finish_contact(user)
    await user.press("Xác nhận")
    [demand] = await bot.demands()
    return demand.id


async def _outbox(bot: Bot, kind: str, recipient: str) -> list[OutboxMessage]:
    return [r for r in await bot.rows(OutboxMessage) if r.kind == kind and r.recipient == recipient]


async def test_alert_take_propose_connect_close(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    await staff.add(bot.db, "telegram", "901", point="DKN-HN", name="Hà")
    demand_id = await _submit(bot)
    [alert] = await _outbox(bot, "staff_alert", "900")
    assert await _outbox(bot, "staff_alert", "901") == []  # another point's staff: no alert
    shown = outgoing_from_dict(alert.payload)
    assert f"Yêu cầu số {demand_id}" in shown.text and "Minh Phát" in shown.text
    assert "bac giang (nay thuộc Bắc Ninh)" in shown.text and "500 triệu" in shown.text
    assert [b.label for b in shown.buttons] == ["Nhận xử lý", "Xem", "Chuyển điểm khác"]

    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(shown.buttons[0].payload)
    assert "đã nhận xử lý yêu cầu số" in lan.text and "Cán bộ đang xử lý" in lan.text
    [told] = await _outbox(bot, "update", "u1")
    assert "cán bộ Lan" in outgoing_from_dict(told.payload).text
    await lan.press("Đề xuất công nghệ")
    await lan.press("Đề xuất tất cả gợi ý")
    assert "Đã đề xuất công nghệ/chuyên gia" in lan.text
    await lan.press("Đã kết nối")
    await lan.press_payload(lan.payloads[0])
    assert "Đã kết nối với:" in lan.text
    await lan.press("Đóng")
    await lan.press("Đã ký kết")
    await lan.send("Ký hợp đồng chuyển giao 480 triệu")
    assert "đã đóng yêu cầu" in lan.text and "Mở lại" in lan.labels
    [demand] = await bot.demands()
    assert demand.status == "closed" and demand.outcome == "deal"
    steps = [(h.new_status, h.changed_by) for h in await bot.rows(DemandStatusChange)]
    assert [s for s, _ in steps] == ["new", "assigned", "proposed", "connected", "closed"]
    assert all(by == "telegram:900 (Lan)" for _, by in steps[1:])
    updates = [outgoing_from_dict(r.payload).text for r in await _outbox(bot, "update", "u1")]
    assert len(updates) == 4 and "đã ký kết" in updates[-1]
    assert len(await bot.rows(AuditEntry)) == 4

    user = bot.chat("u1")
    await user.send("/nhucau")  # not staff
    assert "chỉ dành cho cán bộ" in user.text
    await user.send("yeu cau cua toi")
    assert "Ký hợp đồng chuyển giao 480 triệu" in user.text and "Cán bộ đang xử lý: Nhận xử lý" in user.text


async def test_other_point_and_stale_buttons_change_nothing(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    await staff.add(bot.db, "telegram", "901", point="DKN-HN", name="Hà")
    await staff.add(bot.db, "telegram", "902", point="DKN-TW", name="Quốc")
    demand_id = await _submit(bot)
    ha = bot.chat("901", channel="telegram")
    await ha.press_payload(f"nc:take:{demand_id}")
    assert "thuộc điểm kết nối khác" in ha.text
    await ha.send("/nhucau")
    assert "không có yêu cầu nào" in ha.text
    for forged in ("nc:take:abc", "nc:take:99999", "nc:zzz:1", "nc:close:1:bogus", "nc:prop:1:x9"):
        await ha.press_payload(forged)
        assert ha.text.startswith("Dạ"), forged
    national = bot.chat("902", channel="telegram")
    await national.send("/nhucau")
    assert f"Số {demand_id}" in national.text  # the national point sees every point
    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(f"nc:close:{demand_id}:deal")
    await lan.press("Bỏ qua")
    await lan.press_payload(f"nc:take:{demand_id}")  # stale: closed already
    assert "đang ở trạng thái “Đã đóng”" in lan.text
    [demand] = await bot.demands()
    assert demand.status == "closed" and demand.assigned_to is None


async def test_two_staff_press_take_only_one_wins(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    await staff.add(bot.db, "zalo", "z77", point="DKN-BN", name="Tuấn")
    demand_id = await _submit(bot)
    lan, tuan = bot.chat("900", channel="telegram"), bot.chat("z77", channel="zalo")
    await lan.press_payload(f"nc:take:{demand_id}")
    await tuan.press_payload(f"nc:take:{demand_id}")
    assert "đã do cán bộ Lan nhận xử lý" in tuan.text
    [demand] = await bot.demands()
    assert demand.assigned_to == "telegram:900"


async def test_move_to_another_point_alerts_its_staff(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    await staff.add(bot.db, "telegram", "901", point="DKN-HN", name="Hà")
    demand_id = await _submit(bot)
    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(f"nc:move:{demand_id}")
    await lan.press("Hà Nội")
    assert "đã chuyển yêu cầu" in lan.text
    assert len(await _outbox(bot, "staff_alert", "901")) == 1
    ha = bot.chat("901", channel="telegram")
    await ha.send("/nhucau moi")
    assert f"Số {demand_id}" in ha.text




async def test_propose_from_a_search(bot: Bot) -> None:
    await staff.add(bot.db, "telegram", "900", point="DKN-BN", name="Lan")
    demand_id = await _submit(bot)
    lan = bot.chat("900", channel="telegram")
    await lan.press_payload(f"nc:take:{demand_id}")
    await lan.press_payload(f"nc:prop:{demand_id}:t99999")  # forged: not in the catalog
    assert "không tìm thấy công nghệ số 99999" in lan.text
    [demand] = await bot.demands()
    assert demand.status == "assigned"
    await lan.press_payload(f"nc:card:{demand_id}")
    await lan.press("Đề xuất công nghệ/chuyên gia")
    await lan.press("Tìm công nghệ/chuyên gia khác")
    assert "từ khoá" in lan.text
    await lan.send("xyzzy quux")
    assert "không tìm thấy" in lan.text and "Tìm lại" in lan.labels
    await lan.press("Tìm lại")
    await lan.send("máy sấy bơm nhiệt nông sản")
    assert "Kết quả cho" in lan.text and "Đề xuất tất cả kết quả" in lan.labels
    picked = [label.removeprefix("Đề xuất: ") for label in lan.labels
              if label.startswith("Đề xuất: ")]
    assert picked
    await lan.press(f"Đề xuất: {picked[0]}")
    assert "Đã đề xuất" in lan.text and picked[0][:30] in lan.text
    told = [outgoing_from_dict(r.payload).text for r in await _outbox(bot, "update", "u1")]
    assert picked[0][:30] in told[-1] and "đề xuất" in told[-1]
    [demand] = await bot.demands()
    assert demand.status == "proposed"
