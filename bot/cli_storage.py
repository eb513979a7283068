"""Storage commands of `ketnoi`: db upgrade/downgrade, seed, import, export, search.

Every command uses KETNOI_DATABASE_URL (bot.config) and upgrades the schema first if needed.
Messages are Vietnamese; `--json` prints machine-readable output (ensure_ascii=False).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar

import typer

from bot.config import get_settings
from storage.db import Database
from storage.errors import StorageError

T = TypeVar("T")
KINDS = {"technologies": "công nghệ", "experts": "chuyên gia", "events": "sự kiện"}
KIND_ALIASES = {"technology": "technologies", "tech": "technologies", "cong-nghe": "technologies",
                "expert": "experts", "chuyen-gia": "experts", "event": "events",
                "su-kien": "events"}

db_app = typer.Typer(help="Quản lý lược đồ cơ sở dữ liệu (Alembic).", no_args_is_help=True)


def _kind(value: str) -> str:
    kind = KIND_ALIASES.get(value.strip().lower(), value.strip().lower())
    if kind not in KINDS:
        raise typer.BadParameter(
            f"“{value}” không hợp lệ; chọn một trong: technologies, experts, events.")
    return kind


def with_database(work: Callable[[Database], Awaitable[T]], *, upgrade: bool = True) -> T:
    """Open the configured database, upgrade it, run `work`, close; domain errors → exit 1."""

    async def main() -> T:
        db = Database(get_settings().database_url)
        try:
            if upgrade:
                await db.upgrade()
            return await work(db)
        finally:
            await db.dispose()

    try:
        return asyncio.run(main())
    except StorageError as exc:
        typer.secho(f"Lỗi: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None


@db_app.command("upgrade")
def db_upgrade(revision: Annotated[str, typer.Argument(help="Phiên bản đích")] = "head") -> None:
    """Nâng cấp lược đồ lên phiên bản mới nhất (hoặc REVISION)."""

    async def work(db: Database) -> str | None:
        await db.upgrade(revision)
        return await db.current_revision()

    typer.echo(f"Đã nâng cấp cơ sở dữ liệu, phiên bản hiện tại: {with_database(work, upgrade=False)}")


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Phiên bản đích: -1, base hoặc mã")] = "-1",
) -> None:
    """Hạ lược đồ về REVISION (mặc định lùi một bước; "base" xoá mọi bảng)."""

    async def work(db: Database) -> str | None:
        await db.downgrade(revision)
        return await db.current_revision()

    current = with_database(work, upgrade=False)
    typer.echo(f"Đã hạ cấp cơ sở dữ liệu, phiên bản hiện tại: {current or 'trống (base)'}")


@db_app.command("current")
def db_current() -> None:
    """Cho biết phiên bản lược đồ hiện tại."""

    async def work(db: Database) -> str | None:
        return await db.current_revision()

    typer.echo(f"Phiên bản hiện tại: {with_database(work, upgrade=False) or 'trống (base)'}")


def seed_cmd(
    directory: Annotated[Path | None, typer.Option("--dir", help="Thư mục YAML")] = None,
    history: Annotated[bool, typer.Option(
        "--history", help="Thêm một năm hoạt động mẫu (nhu cầu, kết nối, sự kiện, người nhận "
        "tin) để xem báo cáo")] = False,
    remove_history: Annotated[bool, typer.Option(
        "--remove-history", help="Xoá đúng phần hoạt động mẫu đã thêm bằng --history")] = False,
) -> None:
    """Nạp danh mục mẫu (công nghệ, chuyên gia, sự kiện, điểm kết nối); chạy lại không tạo trùng."""
    from storage import history as synthetic

    if remove_history:
        removed = with_database(synthetic.remove)
        typer.echo(f"Đã xoá hoạt động mẫu: {removed.users} người dùng, {removed.demands} nhu cầu, "
                   f"{removed.events} sự kiện, {removed.offers} công nghệ chào bán.")
        return
    _seed_catalog(directory)
    if history:
        added = with_database(synthetic.add)
        typer.echo(f"Đã thêm hoạt động mẫu một năm: {added.users} người dùng, {added.demands} "
                   f"nhu cầu ({added.status_changes} lần đổi trạng thái), {added.events} sự kiện, "
                   f"{added.registrations} lượt đăng ký, {added.subscriptions} người nhận tin, "
                   f"{added.offers} công nghệ chào bán. Xoá bằng: ketnoi seed --remove-history")


def _seed_catalog(directory: Path | None) -> None:
    from storage.seed import seed_database

    async def work(db: Database) -> Any:
        return await seed_database(db, directory)

    report = with_database(work)
    names = {**KINDS, "connection_points": "điểm kết nối"}
    for kind, c in report.counts.items():
        typer.echo(f"{names[kind].capitalize()}: thêm {c.created}, cập nhật {c.updated}, "
                   f"giữ nguyên {c.unchanged}")


def import_cmd(
    kind: Annotated[str, typer.Argument(help="technologies | experts | events")],
    file: Annotated[Path, typer.Argument(help="Tệp .xlsx hoặc .csv")],
) -> None:
    """Nhập danh mục từ Excel/CSV; dòng lỗi được báo kèm số dòng, dòng đúng được nhập."""
    from storage.importer import import_into

    kind = _kind(kind)

    async def work(db: Database) -> Any:
        return await import_into(db, kind, file)

    report = with_database(work)
    c = report.counts
    typer.echo(f"Đã nhập {report.imported} {KINDS[kind]} từ {file.name}: thêm {c.created}, "
               f"cập nhật {c.updated}, giữ nguyên {c.unchanged}.")
    if report.ignored_columns:
        typer.echo("Bỏ qua các cột không dùng: " + ", ".join(report.ignored_columns))
    for err in report.errors:
        typer.secho(f"  Dòng {err.line}: {err.reason}", fg=typer.colors.YELLOW, err=True)
    if report.errors:
        typer.secho(f"{len(report.errors)} dòng lỗi không được nhập.", fg=typer.colors.RED,
                    err=True)
        raise typer.Exit(1)


def export_cmd(
    kind: Annotated[str, typer.Argument(help="technologies | experts | events")],
    file: Annotated[Path, typer.Argument(help="Tệp .xlsx hoặc .csv")],
) -> None:
    """Xuất danh mục ra Excel/CSV (cùng định dạng cột với lệnh nhập)."""
    from storage.importer import export_from

    kind = _kind(kind)

    async def work(db: Database) -> int:
        return await export_from(db, kind, file)

    typer.echo(f"Đã xuất {with_database(work)} {KINDS[kind]} ra {file}.")


def money(value: int | None) -> str:
    """The chat's money format (`handlers.parsers.show_money`); "?" when unknown."""
    from handlers.parsers import show_money

    return "?" if value is None else show_money(value)


def _describe(hit: Any) -> str:
    d = hit.to_dict()
    place = f"{d['province']} ({d['province_id']})" if d.get("province") else ""
    if hit.kind == "technology":
        sector = f"{d['sector_name']} ({d['sector']})" if d.get("sector") else ""
        price = (f"giá {money(d['price_min'])} – {money(d['price_max'])}"
                 if d.get("price_min") or d.get("price_max") else "")
        parts = [d["provider"], place, sector, price]
    elif hit.kind == "expert":
        sectors = ", ".join(f"{n} ({i})" for n, i in zip(d["sector_names"], d["sectors"],
                                                         strict=False))
        parts = [d["organisation"], place or d["country"], sectors]
    else:
        when = (d["starts_at"] or "")[:16].replace("T", " ")
        parts = [f"{when} (giờ Việt Nam)", d["venue"] or d["online_url"] or "", place,
                 d["event_kind"]]
    return " · ".join(p for p in parts if p)


def search_cmd(
    kind: Annotated[str, typer.Argument(help="technologies | experts | events")],
    query: Annotated[str, typer.Argument(help="Nội dung cần tìm (có dấu hoặc không dấu)")] = "",
    province: Annotated[str | None, typer.Option("--province", "-p",
                                                 help="Tỉnh/thành (tên hoặc mã)")] = None,
    sector: Annotated[str | None, typer.Option("--sector", "-s",
                                               help="Lĩnh vực (mã hoặc tên)")] = None,
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="Số kết quả")] = 5,
    event_kind: Annotated[str | None, typer.Option("--kind", help="Loại sự kiện")] = None,
    boost: Annotated[bool, typer.Option(
        "--boost", help="Dùng tỉnh/lĩnh vực để ưu tiên thay vì lọc (như chatbot)")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="In kết quả dạng JSON")] = False,
) -> None:
    """Tìm công nghệ, chuyên gia hoặc sự kiện sắp diễn ra.

    --province/--sector lọc kết quả; thêm --boost để chỉ ưu tiên (cách chatbot tìm).
    """
    from storage.search import CatalogSearch

    kind = _kind(kind)
    if not query.strip() and not (province or sector) and kind != "events":
        typer.echo("Anh/chị vui lòng nhập nội dung cần tìm, ví dụ: "
                   "ketnoi search technologies \"sấy vải thiều\".")
        raise typer.Exit(2)

    async def work(db: Database) -> list[Any]:
        search = CatalogSearch()
        if kind == "events":
            return await search.events(db, query, kind=event_kind, province=province,
                                       sector=sector, k=k, strict=not boost)
        method = search.technologies if kind == "technologies" else search.experts
        return await method(db, query, province=province, sector=sector, k=k, strict=not boost)

    hits = with_database(work)
    if as_json:
        typer.echo(dump_json({"query": query, "kind": kind, "results": [h.to_dict()
                                                                         for h in hits]}))
        return
    if not hits:
        typer.echo(f"Không tìm thấy {KINDS[kind]} phù hợp với “{query[:80]}”. Anh/chị thử dùng "
                   "từ khoá khác hoặc bỏ bớt điều kiện lọc.")
        return
    typer.echo(f"Kết quả tìm {KINDS[kind]} cho “{query[:80]}”:")
    for n, hit in enumerate(hits, 1):
        typer.echo(f"{n}. [{hit.code}] {hit.title}")
        typer.echo(f"   {_describe(hit)}")
        if hit.reason:
            typer.echo(f"   Lý do: {hit.reason}")


def _columns_help() -> str:
    from storage.records import LAYOUTS

    lines = ["Nhập danh mục từ Excel (.xlsx) hoặc CSV UTF-8; dòng đầu là tên cột.",
             "Dòng lỗi được báo kèm số dòng và lý do; các dòng đúng được nhập cùng lúc; "
             "nhập lại cập nhật theo Mã."]
    for kind, layout in LAYOUTS.items():
        cols = ", ".join(c.header + ("*" if c.required else "") for c in layout)
        lines.append(f"{kind}: {cols}")
    lines.append("(* bắt buộc; danh sách ngăn cách bằng dấu “;”; lĩnh vực, tỉnh/thành nhận mã "
                 "hoặc tên tiếng Việt; ngày giờ theo giờ Việt Nam, ví dụ 01/12/2026 08:00)")
    return "\n\n".join(lines)


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
    app.add_typer(db_app, name="db")
    app.command("seed")(seed_cmd)
    app.command("import", help=_columns_help())(import_cmd)
    app.command("export")(export_cmd)
    app.command("search")(search_cmd)


def dump_json(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, indent=2)
