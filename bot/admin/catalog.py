"""/admin/catalog: technologies, experts and events with the bot's own search; technologies
created, edited and archived; the staff spreadsheets imported with their row-level errors, and
exported in the same columns."""

from __future__ import annotations

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from bot.admin.render import message_page, page
from bot.admin.session import staff_page
from nlu.taxonomy import PROVINCES, SECTORS
from storage.console import catalog
from storage.console.paging import page_number
from storage.errors import ImportFileError, InvalidValue, NotFound, StorageError
from storage.repos.staff import StaffMember


def _kind(request: Request) -> str:
    kind = str(request.query_params.get("kind") or "technologies")
    return kind if kind in catalog.KINDS else "technologies"


@staff_page
async def listing(request: Request, member: StaffMember) -> Response:
    kind, query = _kind(request), str(request.query_params.get("q") or "").strip()[:500]
    db = request.app.state.db
    if query:
        rows = await catalog.search(db, request.app.state.search, kind, query)
        found = None
    else:
        found = await catalog.listing(db, kind, page_number(request.query_params.get("page")))
        rows = found.rows
    return page(request, "catalog.html", member, kind=kind, kinds=catalog.KIND_NAMES, q=query,
                rows=rows, found=found)


def _form_page(request: Request, member: StaffMember, values: dict[str, str],
               tech_id: int | None, error: str | None = None, status: int = 200) -> Response:
    return page(request, "technology.html", member, status, values=values, tech_id=tech_id,
                error=error, sectors=SECTORS, provinces=PROVINCES)


@staff_page
async def technology_form(request: Request, member: StaffMember) -> Response:
    tech_id = request.path_params.get("tech_id")
    if tech_id is None:
        return _form_page(request, member, {}, None)
    try:
        tech = await catalog.technology(request.app.state.db, tech_id)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    values = {key: getattr(tech, key) or "" for key in catalog.TECH_FIELDS}
    values["keywords"] = "; ".join(tech.keywords or [])
    values["status"], values["code"] = tech.status, tech.code
    return _form_page(request, member, values, tech_id)


@staff_page
async def technology_save(request: Request, member: StaffMember) -> Response:
    tech_id = request.path_params.get("tech_id")
    form = {k: str(v) for k, v in (await request.form()).items() if isinstance(v, str)}
    try:
        saved = await catalog.save_technology(request.app.state.db, tech_id, form)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    except InvalidValue as bad:
        return _form_page(request, member, form, tech_id, str(bad), status=400)
    return RedirectResponse(f"/admin/catalog/technologies/{saved}?saved=1", status_code=303)


@staff_page
async def technology_archive(request: Request, member: StaffMember) -> Response:
    tech_id = request.path_params["tech_id"]
    archived = str((await request.form()).get("archived") or "1") == "1"
    try:
        await catalog.set_archived(request.app.state.db, tech_id, archived)
    except NotFound as missing:
        return message_page(request, "Không tìm thấy", str(missing), status=404, member=member)
    return RedirectResponse(f"/admin/catalog/technologies/{tech_id}", status_code=303)


@staff_page
async def import_sheet(request: Request, member: StaffMember) -> Response:
    form = await request.form()
    kind = str(form.get("kind") or "")
    upload = form.get("file")
    if kind not in catalog.KINDS or not isinstance(upload, UploadFile):
        return message_page(request, "Chưa nhập được", "Anh/chị vui lòng chọn loại danh mục "
                            "và tệp cần nhập.", status=400, member=member)
    content = await upload.read(catalog.MAX_UPLOAD + 1)
    try:
        report = await catalog.import_upload(request.app.state.db, kind, upload.filename or "",
                                             content)
    except (ImportFileError, StorageError) as bad:
        return page(request, "import.html", member, 400, kind=kind, kinds=catalog.KIND_NAMES,
                    report=None, error=str(bad), filename=upload.filename)
    return page(request, "import.html", member, kind=kind, kinds=catalog.KIND_NAMES,
                report=report, error=None, filename=upload.filename)


@staff_page
async def export_sheet(request: Request, member: StaffMember) -> Response:
    kind, suffix = _kind(request), request.path_params["suffix"]
    try:
        body = await catalog.export_sheet(request.app.state.db, kind, suffix)
    except InvalidValue as bad:
        return message_page(request, "Không có định dạng này", str(bad), status=404,
                            member=member)
    media = "text/csv; charset=utf-8" if suffix == "csv" else (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    return Response(body, media_type=media, headers={
        "Content-Disposition": f'attachment; filename="{kind}.{suffix}"',
        "Cache-Control": "no-store"})


routes = [
    Route("/catalog/export.{suffix}", export_sheet, methods=["GET"]),
    Route("/catalog", listing, methods=["GET"]),
    Route("/catalog/technologies/new", technology_form, methods=["GET"]),
    Route("/catalog/technologies/new", technology_save, methods=["POST"]),
    Route("/catalog/technologies/{tech_id:int}", technology_form, methods=["GET"]),
    Route("/catalog/technologies/{tech_id:int}", technology_save, methods=["POST"]),
    Route("/catalog/technologies/{tech_id:int}/archive", technology_archive, methods=["POST"]),
    Route("/catalog/import", import_sheet, methods=["POST"]),
]
