"""The demand page's pipeline steps: the same steps and the same messages to the enterprise
as in chat, for the member's own point only, with a forged form refused."""

from __future__ import annotations

import httpx
from sqlalchemy import select

from handlers.pipeline_text import user_update
from storage.models import Demand, Expert, OutboxMessage, Technology
from storage.repos import pipeline
from tests.bot.admin.conftest import Console


async def _catalog(console: Console) -> tuple[int, int]:
    async with console.db.transaction() as s:
        tech = Technology(code="CN-01", title="Máy sấy vải thiều bằng bơm nhiệt",
                          provider="Viện Cơ điện nông nghiệp")
        expert = Expert(code="CG-01", name="Nguyễn Văn An", title="TS.",
                        organisation="Đại học Bách khoa")
        s.add_all([tech, expert])
        await s.flush()
        return tech.id, expert.id


async def _updates(console: Console, kind: str = "update") -> list[OutboxMessage]:
    async with console.db.session() as s:
        return list((await s.execute(select(OutboxMessage).where(OutboxMessage.kind == kind)
                                     .order_by(OutboxMessage.id))).scalars())


async def _step(console: Console, demand_id: int, step: str, csrf: str,
                **data: str) -> httpx.Response:
    return await console.web.post(f"/admin/demands/{demand_id}/act/{step}",
                                  data={"csrf": csrf, **data})


async def test_a_demand_moves_through_the_pipeline_and_the_enterprise_is_told(
        console: Console) -> None:
    tech_id, expert_id = await _catalog(console)
    await console.sign_in("telegram", "100")
    demand_id = console.demands["DKN-BN"]
    csrf = await console.csrf(f"/admin/demands/{demand_id}")
    page = (await console.web.get(f"/admin/demands/{demand_id}")).text
    assert "Nhận xử lý" in page and "Cán bộ quốc gia (DKN-TW)" in page

    assert (await _step(console, demand_id, "take", csrf)).status_code == 303
    shown = await console.web.get(f"/admin/demands/{demand_id}?done=take")
    assert "Anh/chị đã nhận xử lý yêu cầu" in shown.text and "Cán bộ Bắc Ninh" in shown.text
    moved = await console.web.post(f"/admin/demands/{demand_id}/act/propose", data={
        "csrf": csrf, "pick": [f"t{tech_id}", f"e{expert_id}"], "note": "Hai đơn vị phù hợp"})
    assert moved.status_code == 303
    proposed = (await console.web.get(f"/admin/demands/{demand_id}")).text
    assert "Hai đơn vị phù hợp" in proposed and "/act/propose" not in proposed
    assert (await _step(console, demand_id, "connect", csrf, **{"with": f"t{tech_id}"})
            ).status_code == 303
    assert (await _step(console, demand_id, "close", csrf, outcome="deal",
                        note="Đã ký hợp đồng")).status_code == 303

    card = await pipeline.card(console.db, demand_id)
    assert card.status == "closed" and card.outcome == "deal"
    assert [s.name for s in card.connected_with] == ["Máy sấy vải thiều bằng bơm nhiệt"]
    told = await _updates(console)
    assert [m.recipient for m in told] == ["u0"] * 4
    texts = [m.payload["text"] for m in told]
    assert "cán bộ Cán bộ Bắc Ninh" in texts[0] and "đã tiếp nhận" in texts[0]
    assert "đề xuất" in texts[1] and "Máy sấy vải thiều bằng bơm nhiệt" in texts[1]
    assert "TS. Nguyễn Văn An" in texts[1]
    assert "Viện Cơ điện nông nghiệp" in texts[2] and "đã kết nối" in texts[2]
    assert told[-1].payload == user_update(card)  # the chat's own message, word for word
    page = (await console.web.get(f"/admin/demands/{demand_id}")).text
    assert "Đã ký hợp đồng" in page and "telegram:100 (Cán bộ Bắc Ninh)" in page
    assert "/act/reopen" in page and "/act/take" not in page


async def test_assign_to_a_staff_member_and_move_to_another_point(console: Console) -> None:
    await console.sign_in("telegram", "100")
    demand_id = console.demands["DKN-BN"]
    csrf = await console.csrf(f"/admin/demands/{demand_id}")
    given = await _step(console, demand_id, "assign", csrf, staff="telegram:200")
    assert given.status_code == 303
    card = await pipeline.card(console.db, demand_id)
    assert card.status == "assigned" and card.assigned_to == "telegram:200"
    # Only staff of the demand's point (or the national point) can be given it.
    stranger = await _step(console, demand_id, "assign", csrf, staff="telegram:999")
    assert stranger.status_code == 409 and "chọn một cán bộ" in stranger.text
    moved = await _step(console, demand_id, "move", csrf, point="DKN-HN", note="Đúng địa bàn")
    assert moved.headers["location"] == f"/admin/demands?moved={demand_id}"
    listing = await console.web.get(moved.headers["location"])
    assert f"Đã chuyển yêu cầu số {demand_id} sang điểm kết nối khác" in listing.text
    card = await pipeline.card(console.db, demand_id)
    assert card.point_code == "DKN-HN" and card.status == "new" and card.assigned_to is None
    alerts = await _updates(console, "staff_alert")
    assert [m.recipient for m in alerts] == ["200"]  # Hà Nội has no staff: the national point
    # The demand is Hà Nội's now: Bắc Ninh's staff no longer see or move it.
    assert (await console.web.get(f"/admin/demands/{demand_id}")).status_code == 404
    assert (await _step(console, demand_id, "take", csrf)).status_code == 404


async def test_a_refused_step_says_why_and_changes_nothing(console: Console) -> None:
    await console.sign_in("telegram", "100")
    demand_id = console.demands["DKN-BN"]
    csrf = await console.csrf(f"/admin/demands/{demand_id}")
    no_outcome = await _step(console, demand_id, "close", csrf, outcome="")
    assert no_outcome.status_code == 409 and "chọn kết quả" in no_outcome.text
    too_early = await _step(console, demand_id, "connect", csrf, **{"with": "-"})
    assert too_early.status_code == 409 and "không thể chuyển" in too_early.text
    nothing = await _step(console, demand_id, "propose", csrf)
    assert nothing.status_code == 409
    assert (await _step(console, demand_id, "fly", csrf)).status_code == 404
    await _step(console, demand_id, "take", csrf)
    again = await _step(console, demand_id, "take", csrf)
    assert again.status_code == 409 and "đã do cán bộ" in again.text
    assert len(await _updates(console)) == 1


async def test_the_page_script_gets_the_pipeline_section_only(console: Console) -> None:
    await console.sign_in("telegram", "100")
    demand_id = console.demands["DKN-BN"]
    csrf = await console.csrf(f"/admin/demands/{demand_id}")
    taken = await console.web.post(f"/admin/demands/{demand_id}/act/take", data={"csrf": csrf},
                                   headers={"X-Partial": "1"})
    assert taken.status_code == 200 and taken.headers["x-partial"] == "1"
    assert taken.text.lstrip().startswith('<section id="pipeline"') and "<html" not in taken.text
    assert "Cán bộ đang xử lý" in taken.text and "đã nhận xử lý" in taken.text
    again = await console.web.post(f"/admin/demands/{demand_id}/act/take", data={"csrf": csrf},
                                   headers={"X-Partial": "1"})
    assert again.status_code == 409 and 'class="error"' in again.text


async def test_steps_need_the_right_point_a_session_and_the_csrf_token(
        console: Console) -> None:
    other = console.demands["DKN-HN"]
    anonymous = await console.web.post(f"/admin/demands/{other}/act/take", data={"csrf": "x"})
    assert anonymous.status_code == 401
    await console.sign_in("telegram", "100")
    csrf = await console.csrf()
    assert (await _step(console, other, "take", csrf)).status_code == 404
    own = console.demands["DKN-BN"]
    forged = await _step(console, own, "take", "forged-token")
    assert forged.status_code == 403
    async with console.db.session() as s:
        statuses = [(await s.get(Demand, i)).status for i in (other, own)]  # type: ignore[union-attr]
    assert statuses == ["new", "new"] and await _updates(console) == []
    # The national point acts on any point's demand.
    await console.sign_in("telegram", "200")
    csrf = await console.csrf()
    assert (await _step(console, other, "take", csrf)).status_code == 303


async def test_my_work_lists_what_i_was_given_with_who_handles_each(console: Console) -> None:
    await console.sign_in("telegram", "200")
    csrf = await console.csrf()
    own, other = console.demands["DKN-BN"], console.demands["DKN-HN"]
    assert (await _step(console, own, "take", csrf)).status_code == 303
    mine = await console.web.get("/admin/demands?mine=1")
    table = mine.text.split("<tbody>")[1]
    assert f"#{own}" in table and f"#{other}" not in table and "Cán bộ quốc gia" in table
    assert "1 yêu cầu" in mine.text and "mine=1" in mine.text.split("Tải CSV")[0]
    sheet = (await console.web.get("/admin/demands/export.csv?mine=1")).content.decode("utf-8-sig")
    assert sheet.splitlines()[0].endswith("Cán bộ xử lý")
    assert sheet.splitlines()[1].endswith("Cán bộ quốc gia") and len(sheet.splitlines()) == 2


async def test_propose_what_a_catalog_search_found(console: Console) -> None:
    tech_id, expert_id = await _catalog(console)
    await console.sign_in("telegram", "100")
    demand_id = console.demands["DKN-BN"]
    csrf = await console.csrf(f"/admin/demands/{demand_id}")
    await _step(console, demand_id, "take", csrf)
    page = await console.web.get(f"/admin/demands/{demand_id}?q=máy sấy vải thiều")
    assert f'value="t{tech_id}"' in page.text and "(tìm thấy)" in page.text
    experts = await console.web.get(f"/admin/demands/{demand_id}?q=Nguyễn Văn An")
    assert f'value="e{expert_id}"' in experts.text
    nothing = await console.web.get(f"/admin/demands/{demand_id}?q=xyzzy")
    assert "(tìm thấy)" not in nothing.text
