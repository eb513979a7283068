"""`ketnoi demands assign|status` (the demand pipeline from the command line) and `ketnoi audit`
(every staff action). The enterprise is told of each step, as when staff act in chat."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

import typer

from bot.cli_chat import demands_app
from bot.cli_storage import dump_json, with_database
from handlers.pipeline_text import card_text, user_update
from storage.db import Database
from storage.repos import audit, pipeline
from storage.repos.pipeline_view import DemandCard


@demands_app.command("assign")
def assign_cmd(
    demand_id: Annotated[int, typer.Argument(help="Số của nhu cầu (demand id)")],
    staff: Annotated[str, typer.Option("--staff", help="CHANNEL:USER_ID, e.g. telegram:123456")],
) -> None:
    """Giao nhu cầu cho một cán bộ (assign a demand to a staff member)."""
    channel, _, user_id = staff.partition(":")
    if not channel or not user_id:
        typer.echo("--staff cần dạng KÊNH:MÃ, ví dụ telegram:123456.", err=True)
        raise typer.Exit(2)

    async def work(db: Database) -> DemandCard:
        return await pipeline.assign(db, demand_id, channel, user_id, tell=user_update)

    typer.echo(card_text(with_database(work)))


@demands_app.command("status")
def status_cmd(
    demand_id: Annotated[int, typer.Argument(help="Số của nhu cầu (demand id)")],
    status: Annotated[str, typer.Argument(help="proposed | connected | closed | new (mở lại)")],
    outcome: Annotated[str | None, typer.Option(
        "--outcome", help="Khi closed: deal | no_match | withdrawn | duplicate")] = None,
    note: Annotated[str | None, typer.Option("--note", help="Ghi chú")] = None,
) -> None:
    """Chuyển trạng thái nhu cầu, có ghi lịch sử (move a demand along the pipeline)."""

    async def work(db: Database) -> DemandCard:
        return await pipeline.change(db, demand_id, status.strip().lower(), pipeline.CLI,
                                     outcome=outcome, note=note, tell=user_update)

    typer.echo(card_text(with_database(work)))


def _since(value: str | None) -> datetime | None:
    """"7d", "24h" or an ISO date/time (UTC when no zone is given)."""
    if not value:
        return None
    text = value.strip().lower()
    if text[:-1].isdigit() and text[-1:] in ("d", "h"):
        unit = timedelta(days=1) if text[-1] == "d" else timedelta(hours=1)
        return datetime.now(UTC) - int(text[:-1]) * unit
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        typer.echo("--since cần dạng 7d, 24h hoặc 2026-11-30 (ISO).", err=True)
        raise typer.Exit(2) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def audit_cmd(
    since: Annotated[str | None, typer.Option("--since", help="7d, 24h or an ISO date")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON")] = False,
) -> None:
    """Nhật ký thao tác của cán bộ (audit log of staff actions)."""
    moment = _since(since)

    async def work(db: Database) -> list[audit.Entry]:
        return await audit.since(db, moment)

    entries = with_database(work)
    if as_json:
        typer.echo(dump_json([e.to_dict() for e in entries]))
        return
    if not entries:
        typer.echo("Chưa có thao tác nào.")
    for e in entries:
        details = ", ".join(f"{k}={v}" for k, v in e.details.items() if v not in (None, ""))
        typer.echo(f"{e.at:%Y-%m-%d %H:%M}\t{e.actor}\t{e.action}\t{e.target}\t{details}")


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app` (the demands sub-commands register on import)."""
    app.command("audit")(audit_cmd)
