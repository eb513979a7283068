"""/admin/catalog and /admin/users: the bot's search, technology edits, spreadsheet import with
its row errors, user counts and filters."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Subscription, Technology, User
from tests.bot.admin.conftest import Console

SHEET = ("Mã,Tên công nghệ,Lĩnh vực,Tóm tắt\n"
         'CN-T1,Máy sấy vải thiều bằng bơm nhiệt,"Chế biến nông sản, thực phẩm",Sấy nhanh\n'
         "CN-T2,Dòng thiếu lĩnh vực,,Không có lĩnh vực\n"
         "CN-T3,Kho lạnh bảo quản nông sản,Bảo quản sau thu hoạch,Kho lạnh nhỏ\n")


async def test_import_shows_row_errors_and_keeps_good_rows(console: Console) -> None:
    await console.sign_in()
    csrf = await console.csrf("/admin/catalog")
    done = await console.web.post(
        "/admin/catalog/import", data={"csrf": csrf, "kind": "technologies"},
        files={"file": ("cong-nghe.csv", SHEET.encode("utf-8"), "text/csv")})
    assert done.status_code == 200
    assert "Đã nhập 2 dòng: 2 mới" in done.text and "1 dòng chưa nhập được" in done.text
    assert "<td>3</td>" in done.text  # the bad row's line in the spreadsheet
    listing = await console.web.get("/admin/catalog?kind=technologies")
    assert "CN-T1" in listing.text and "CN-T3" in listing.text and "CN-T2" not in listing.text


async def test_import_refuses_what_is_not_a_spreadsheet(console: Console) -> None:
    await console.sign_in()
    csrf = await console.csrf("/admin/catalog")
    bad = await console.web.post("/admin/catalog/import", data={"csrf": csrf, "kind": "events"},
                                 files={"file": ("anh.png", b"\x89PNG....", "image/png")})
    assert bad.status_code == 400 and ".xlsx hoặc .csv" in bad.text
    missing = await console.web.post("/admin/catalog/import", data={"csrf": csrf, "kind": "x"})
    assert missing.status_code == 400


async def test_create_edit_search_and_archive_a_technology(console: Console) -> None:
    await console.sign_in()
    csrf = await console.csrf("/admin/catalog/technologies/new")
    empty = await console.web.post("/admin/catalog/technologies/new",
                                   data={"csrf": csrf, "title": "  "})
    assert empty.status_code == 400 and "nhập tên công nghệ" in empty.text
    created = await console.web.post("/admin/catalog/technologies/new", data={
        "csrf": csrf, "title": "Máy sấy vải thiều bằng bơm nhiệt", "sector": "agri_processing",
        "province": "bac_ninh", "keywords": "sấy; vải thiều", "provider": "Viện Cơ điện"})
    assert created.status_code == 303
    path = created.headers["location"].split("?")[0]
    form = await console.web.get(path)
    assert "Viện Cơ điện" in form.text and "sấy; vải thiều" in form.text
    edited = await console.web.post(path, data={"csrf": csrf, "title": "Máy sấy vải bơm nhiệt",
                                                "sector": "agri_processing"})
    assert edited.status_code == 303
    found = await console.web.get("/admin/catalog?kind=technologies&q=may say vai")
    assert "Máy sấy vải bơm nhiệt" in found.text
    archived = await console.web.post(f"{path}/archive", data={"csrf": csrf, "archived": "1"})
    assert archived.status_code == 303
    async with console.db.session() as s:
        tech = (await s.execute(select(Technology))).scalar_one()
    assert tech.status == "archived" and tech.title == "Máy sấy vải bơm nhiệt"
    assert "Đã lưu trữ" in (await console.web.get("/admin/catalog")).text
    for missing in ("99999", "99999999999999"):
        page = await console.web.get(f"/admin/catalog/technologies/{missing}")
        assert page.status_code == 404
    refused = await console.web.post("/admin/catalog/technologies/99999999999999",
                                     data={"csrf": csrf, "title": "x"})
    assert refused.status_code == 404


async def test_users_counts_and_filters_by_point(console: Console) -> None:
    async with console.db.transaction() as s:
        user = (await s.execute(select(User).where(User.external_id == "u0"))).scalar_one()
        s.add(Subscription(user_id=user.id, sectors=[], provinces=[], event_kinds=[]))
    await console.sign_in("telegram", "100")  # Bắc Ninh: only its province's users
    page = await console.web.get("/admin/users")
    assert "Doanh nghiệp 0" in page.text and "Doanh nghiệp 1" not in page.text
    assert "<strong>1</strong> đăng ký nhận tin" in page.text
    console.web.cookies.clear()
    await console.sign_in("telegram", "200")  # national: everyone
    page = await console.web.get("/admin/users")
    assert "Doanh nghiệp 0" in page.text and "Doanh nghiệp 1" in page.text
    assert "<strong>2</strong> qua telegram" in page.text
    only = await console.web.get("/admin/users?subscribed=1")
    assert "Doanh nghiệp 0" in only.text and "Doanh nghiệp 1" not in only.text
    named = await console.web.get("/admin/users?q=doanh nghiệp 1")
    assert "Doanh nghiệp 1" in named.text and "Doanh nghiệp 0" not in named.text
    hn = await console.web.get("/admin/users?province=ha_noi")
    assert "Doanh nghiệp 1" in hn.text and "Doanh nghiệp 0" not in hn.text


async def test_export_gives_back_what_was_imported(console: Console) -> None:
    await console.sign_in()
    csrf = await console.csrf("/admin/catalog")
    await console.web.post(
        "/admin/catalog/import", data={"csrf": csrf, "kind": "technologies"},
        files={"file": ("cong-nghe.csv", SHEET.encode("utf-8"), "text/csv")})
    sheet = await console.web.get("/admin/catalog/export.csv?kind=technologies")
    assert sheet.status_code == 200 and "attachment" in sheet.headers["content-disposition"]
    text = sheet.content.decode("utf-8-sig")
    assert text.startswith("Mã,Tên công nghệ") and "CN-T1" in text and "CN-T3" in text
    assert (await console.web.get("/admin/catalog/export.doc")).status_code == 404
