"""`ketnoi report`: the network's figures as text, JSON, an XLSX workbook and a PNG dashboard."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import date, datetime
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from bot.config import get_settings

DATE_HELP = "Ngày, dạng 2026-03-31 hoặc 31/03/2026 (giờ Việt Nam)"


def parse_date(text: str) -> date:
    """"2026-03-31" or "31/03/2026" (also 31-03-2026, 31.03.2026) → date."""
    text = text.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{1,2}-\d{1,2}", text):
            return date.fromisoformat("-".join(p.zfill(2) for p in text.split("-")))
        day, month, year = re.split(r"[/.-]", text)
        return date(int(year), int(month), int(day))
    except ValueError:
        raise typer.BadParameter(
            f"“{text}” không phải ngày hợp lệ; dùng dạng 2026-03-31 hoặc 31/03/2026.") from None


async def _figures(first: date, last: date, point: str | None) -> Any:
    from storage import reports
    from storage.db import Database

    settings = get_settings()
    db = Database(settings.database_url)
    try:
        await db.upgrade()
        period = reports.Period(first, last, settings.timezone)
        return await reports.figures(db, period, reports.Scope(point=point))
    finally:
        await db.dispose()


def _write(path: Path, data: bytes, what: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    typer.echo(f"Đã ghi {what}: {path} ({len(data):,} byte)".replace(",", "."), err=True)


def report_cmd(
    first: Annotated[str | None, typer.Option("--from", help=f"{DATE_HELP}; mặc định 1/1 năm nay")] = None,
    last: Annotated[str | None, typer.Option("--to", help=f"{DATE_HELP}; mặc định hôm nay")] = None,
    point: Annotated[str | None, typer.Option("--point", help="Mã điểm kết nối (mặc định: toàn mạng lưới)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In mọi số liệu dạng JSON")] = False,
    xlsx: Annotated[Path | None, typer.Option("--xlsx", help="Ghi bảng tính Excel vào FILE")] = None,
    png: Annotated[Path | None, typer.Option("--png", help="Ghi bảng điều khiển PNG vào FILE")] = None,
) -> None:
    """Báo cáo số liệu của mạng lưới: nhu cầu, kết nối, danh mục, sự kiện, người dùng."""
    from storage.errors import StorageError

    today = datetime.now(ZoneInfo(get_settings().timezone)).date()
    start = parse_date(first) if first else date(today.year, 1, 1)
    end = parse_date(last) if last else today
    if end < start:
        raise typer.BadParameter("--to phải sau --from.")
    try:
        fig = asyncio.run(_figures(start, end, point))
    except StorageError as exc:
        typer.secho(f"Lỗi: {exc}", fg=typer.colors.RED, err=True)
        raise typer.Exit(1) from None
    from handlers.reporting import dashboard, sections, workbook

    if xlsx is not None:
        _write(xlsx, workbook.render(fig), "bảng tính")
    if png is not None:
        _write(png, dashboard.render(fig), "bảng điều khiển")
    if as_json:
        typer.echo(json.dumps(fig.to_dict(), ensure_ascii=False, indent=2))
    elif xlsx is None and png is None:
        typer.echo(f"Báo cáo {fig.scope}, {fig.period.label()}:")
        for name, value in sections.summary_rows(fig):
            typer.echo(f"  {name}: {sections.number(value)}")
        for note in fig.notes:
            typer.echo(f"  * {note}")


def register(app: typer.Typer) -> None:
    app.command("report")(report_cmd)
