"""`ketnoi chat` (the console channel) and `ketnoi demands list|show`."""

from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path
from typing import Any

import typer

from bot.config import Settings, get_settings

demands_app = typer.Typer(help="Xem các nhu cầu đã ghi nhận (list and show stored demands).",
                          no_args_is_help=True)


def chat(
    user: str = typer.Option("console-user", "--user", help="Mã người dùng (user id)."),
    name: str | None = typer.Option(None, "--name", help="Tên hiển thị (display name)."),
) -> None:
    """Trò chuyện với trợ lý trên dòng lệnh (chat with the assistant in the terminal)."""
    from bot.app import App
    from bot.console import run_console

    settings = get_settings()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    run_console(lambda: App.create(settings), user, name, starting=starting_lines(settings))


def starting_lines(settings: Settings) -> list[str]:
    """What the start-up will do: open the database, and train the NLU only when it must."""
    from bot.console import STARTING, TRAINING
    from nlu.training import DEFAULT_DATA_DIR, is_fresh
    from storage.location import describe

    lines = [STARTING.format(database=describe(settings.database_url))]
    if not is_fresh(Path(settings.nlu_model_dir).resolve(), [DEFAULT_DATA_DIR]):
        lines.append(TRAINING)
    return lines


async def _load(fn: Any, *args: Any) -> Any:
    from storage.db import Database

    db = Database(get_settings().database_url)
    try:
        await db.upgrade()
        return await fn(db, *args)
    finally:
        await db.dispose()


async def _list(db: Any, status: str | None, limit: int | None,
                point: str | None) -> list[dict[str, Any]]:
    from storage.demand_view import demand_records

    return await demand_records(db, status, limit, point=point)


async def _show(db: Any, demand_id: int) -> dict[str, Any]:
    from storage.demand_view import demand_record

    return await demand_record(db, demand_id)


@demands_app.command("list")
def list_cmd(
    status: str | None = typer.Option(
        None, "--status", help="new|assigned|proposed|connected|closed (matched|rejected: older)"),
    point: str | None = typer.Option(None, "--point", help="Mã điểm hoặc tỉnh (point code or "
                                     "province), e.g. DKN-BN."),
    as_json: bool = typer.Option(False, "--json", help="In dạng JSON (print JSON)."),
    limit: int | None = typer.Option(None, "--limit", min=1,
                                     help="Chỉ N nhu cầu mới nhất (mặc định: tất cả)."),
) -> None:
    """Liệt kê nhu cầu, mới nhất trước (list demands, newest first)."""
    from bot.demand_view import table
    from storage.errors import StorageError

    try:
        rows = asyncio.run(_load(_list, status, limit, point))
    except StorageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from exc
    if as_json:
        typer.echo(json.dumps(rows, ensure_ascii=False, indent=2))
    elif rows:
        typer.echo(table(rows))
    if not rows:  # say where we looked: an empty list from the wrong file looks like lost data
        from storage.location import describe

        filtered = f" có trạng thái “{status}”" if status else ""
        typer.echo(f"Chưa có yêu cầu nào{filtered} trong cơ sở dữ liệu "
                   f"{describe(get_settings().database_url)} (KETNOI_DATABASE_URL).",
                   err=as_json)


@demands_app.command("show")
def show_cmd(demand_id: int = typer.Argument(..., help="Số của nhu cầu (demand id).")) -> None:
    """Chi tiết một nhu cầu, dạng JSON (one demand as JSON)."""
    from storage.errors import StorageError

    try:
        row = asyncio.run(_load(_show, demand_id))
    except StorageError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    typer.echo(json.dumps(row, ensure_ascii=False, indent=2))


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
    app.command("chat")(chat)
    app.add_typer(demands_app, name="demands")
