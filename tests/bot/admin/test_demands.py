"""/admin/demands: each point sees its own demands, the national point sees all; filters,
paging, a demand's page, status changes and the CSV/XLSX export."""

from __future__ import annotations

import io
from datetime import timedelta

from openpyxl import load_workbook

from storage.console import demands as console_demands
from storage.console.demands import DemandFilter
from storage.models import Demand, MessageLog, User
from storage.repos import staff
from tests.bot.admin.conftest import Console


async def test_point_staff_see_only_their_point(console: Console) -> None:
    await console.sign_in("telegram", "100")
    page = await console.web.get("/admin/demands")
    assert "Máy sấy vải thiều cho DKN-BN" in page.text
    assert "DKN-HN" not in page.text.split("<table>")[1]
    other = await console.web.get(f"/admin/demands/{console.demands['DKN-HN']}")
    assert other.status_code == 404 and "Máy sấy" not in other.text
    for missing in ("999999", "99999999999999", "0"):
        assert (await console.web.get(f"/admin/demands/{missing}")).status_code == 404
    own = await console.web.get(f"/admin/demands/{console.demands['DKN-BN']}")
    assert own.status_code == 200 and "Điểm kết nối Bắc Ninh" in own.text
    assert "Doanh nghiệp 0" in own.text


async def test_national_staff_see_every_point_and_filter_by_point(console: Console) -> None:
    await console.sign_in("telegram", "200")
    page = await console.web.get("/admin/demands")
    assert "cho DKN-BN" in page.text and "cho DKN-HN" in page.text
    only_hn = await console.web.get("/admin/demands?point=dkn-hn")
    assert "cho DKN-HN" in only_hn.text and "cho DKN-BN" not in only_hn.text
    other = await console.web.get(f"/admin/demands/{console.demands['DKN-HN']}")
    assert other.status_code == 200


async def test_filters_by_province_sector_status_and_date(console: Console) -> None:
    await console.sign_in("telegram", "200")
    web = console.web
    assert "cho DKN-BN" not in (await web.get("/admin/demands?province=ha_noi")).text
    assert "cho DKN-HN" in (await web.get("/admin/demands?province=ha_noi")).text
    assert "cho DKN-BN" in (await web.get("/admin/demands?sector=agri_processing")).text
    assert "Chưa có yêu cầu nào" in (await web.get("/admin/demands?sector=aquaculture")).text
    assert "Chưa có yêu cầu nào" in (await web.get("/admin/demands?status=closed")).text
    assert "Chưa có yêu cầu nào" in (await web.get("/admin/demands?until=2001-01-01")).text
    assert "cho DKN-BN" in (await web.get("/admin/demands?since=2001-01-01")).text
    # Nonsense filter values are ignored, never a crash.
    odd = await web.get("/admin/demands?status=x&since=yesterday&page=-4&province=%00")
    assert odd.status_code == 200 and "cho DKN-BN" in odd.text


async def test_export_holds_the_filtered_list(console: Console) -> None:
    await console.sign_in("telegram", "100")
    csv_file = await console.web.get("/admin/demands/export.csv")
    assert csv_file.status_code == 200 and "attachment" in csv_file.headers["content-disposition"]
    text = csv_file.content.decode("utf-8-sig")
    assert "Máy sấy vải thiều cho DKN-BN" in text and "DKN-HN" not in text
    xlsx = await console.web.get("/admin/demands/export.xlsx?status=new")
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][0] == "Số" and len(rows) == 2 and rows[1][2] == "Mới tiếp nhận"
    assert (await console.web.get("/admin/demands/export.pdf")).status_code == 404


async def test_lists_are_paged_on_the_server(console: Console) -> None:
    bn = console.demands["DKN-BN"]
    async with console.db.transaction() as s:
        first = await s.get(Demand, bn)
        assert first is not None
        s.add_all([Demand(user_id=first.user_id, type="find_technology", raw_text=f"nhu cầu {n}",
                          connection_point_id=first.connection_point_id) for n in range(60)])
    await console.sign_in("telegram", "100")
    one = await console.web.get("/admin/demands")
    assert "61 yêu cầu" in one.text and "Trang 1/2" in one.text and one.text.count("<tr>") == 51
    two = await console.web.get("/admin/demands?page=2")
    assert "Trang 2/2" in two.text and two.text.count("<tr>") == 12


async def test_a_page_costs_the_same_queries_however_many_rows(console: Console) -> None:
    """No N+1: the list reads one page and one count, whatever the page holds."""
    from sqlalchemy import event

    member = await staff.find(console.db, "telegram", "200")
    assert member is not None
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(console.db.engine.sync_engine, "before_cursor_execute", seen)
    await console_demands.page(console.db, member, DemandFilter(), 1)
    few = len(statements)
    async with console.db.transaction() as s:
        user = User(channel="zalo", external_id="many")
        s.add(user)
        await s.flush()
        s.add_all([Demand(user_id=user.id, type="find_expert") for _ in range(30)])
    statements.clear()
    found = await console_demands.page(console.db, member, DemandFilter(), 1)
    event.remove(console.db.engine.sync_engine, "before_cursor_execute", seen)
    assert len(found.rows) == 32 and len(statements) == few


async def test_a_demand_page_shows_the_conversation_excerpt(console: Console) -> None:
    demand_id = console.demands["DKN-BN"]
    async with console.db.transaction() as s:
        demand = await s.get(Demand, demand_id)
        assert demand is not None
        at = demand.created_at
        s.add_all([
            MessageLog(channel="telegram", chat_id="u0", user_id="u0", direction="in",
                       text="cty em can may say vai thieu", created_at=at - timedelta(minutes=1)),
            MessageLog(channel="telegram", chat_id="u0", direction="out",
                       text="Dạ, em đã ghi nhận nhu cầu", created_at=at),
            MessageLog(channel="telegram", chat_id="u0", user_id="u0", direction="in",
                       text="hôm sau hỏi việc khác", created_at=at + timedelta(days=1)),
            MessageLog(channel="telegram", chat_id="u1", user_id="u1", direction="in",
                       text="tin của người khác", created_at=at)])
    await console.sign_in("telegram", "100")
    page = (await console.web.get(f"/admin/demands/{demand_id}")).text
    assert "cty em can may say vai thieu" in page and "Dạ, em đã ghi nhận nhu cầu" in page
    assert "hôm sau hỏi việc khác" not in page and "tin của người khác" not in page
