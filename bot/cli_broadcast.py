"""`ketnoi broadcast create|report|cancel` and `ketnoi worker`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

import typer

from bot.cli_storage import dump_json, with_database
from bot.config import get_settings
from bot.types import outgoing_to_dict
from handlers.news_render import broadcast_message, report_lines
from nlu.taxonomy import PROVINCE_BY_ID, SECTOR_BY_ID, find_province, find_sector
from storage.db import Database
from storage.models import EVENT_KINDS
from storage.repos import broadcasts
from storage.repos.broadcasts import Audience, BroadcastInfo

broadcast_app = typer.Typer(help="Gửi tin cho người đăng ký nhận tin (broadcasts).",
                            no_args_is_help=True)
TIME_FORMATS = ("%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M", "%d/%m/%Y %H:%M", "%d/%m/%Y")


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().timezone)


def parse_time(value: str) -> datetime:
    """'2026-12-01 08:00' or '01/12/2026 08:00' in Vietnam's time, or ISO with an offset."""
    text = value.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        moment = None
        for fmt in TIME_FORMATS:
            try:
                moment = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
    if moment is None:
        raise typer.BadParameter(f"“{value}” không phải thời điểm hợp lệ; ví dụ: "
                                 "\"2026-12-01 08:00\" (giờ Việt Nam).")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_tz())
    return moment.astimezone(UTC)


def _sector(value: str) -> str:
    """An id, the full name, or words of it ("chế biến nông sản")."""
    from handlers.parsers import rank_sectors

    ranked = rank_sectors(value)
    found = SECTOR_BY_ID.get(value.strip()) or find_sector(value) or (
        ranked[0][0] if ranked else None)
    if found is None:
        raise typer.BadParameter(f"Không nhận ra lĩnh vực “{value}”.")
    return found.id


def _province(value: str) -> str:
    found = PROVINCE_BY_ID.get(value.strip()) or find_province(value)
    if found is None:
        raise typer.BadParameter(f"Không nhận ra tỉnh/thành phố “{value}”.")
    return found.id


def _kind(value: str) -> str:
    if value.strip().lower() not in EVENT_KINDS:
        raise typer.BadParameter(f"Loại sự kiện “{value}” không hợp lệ; chọn: "
                                 + ", ".join(EVENT_KINDS))
    return value.strip().lower()


def show_per_channel(per_channel: dict[str, int]) -> str:
    return ", ".join(f"{c}: {n}" for c, n in per_channel.items()) or "không có ai"


@broadcast_app.command("create")
def create_cmd(
    text: Annotated[str | None, typer.Option("--text", help="Nội dung tin")] = None,
    event: Annotated[str | None, typer.Option("--event", help="Mã sự kiện trong danh mục")] = None,
    sector: Annotated[list[str] | None, typer.Option("--sector", help="Lĩnh vực (lặp lại)")] = None,
    province: Annotated[list[str] | None, typer.Option("--province", help="Tỉnh/thành")] = None,
    kind: Annotated[list[str] | None, typer.Option("--kind", help="Loại sự kiện")] = None,
    at: Annotated[str | None, typer.Option("--at", help="Hẹn giờ gửi (giờ Việt Nam)")] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Gửi không hỏi lại")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON")] = False,
) -> None:
    """Tạo một đợt tin: in mã đợt tin và số người nhận; worker sẽ gửi dần."""
    if bool(text and text.strip()) == bool(event):
        raise typer.BadParameter("Cần đúng một trong hai: --text hoặc --event.")
    audience = Audience(tuple(map(_sector, sector or [])), tuple(map(_province, province or [])),
                        tuple(map(_kind, kind or [])))
    send_at = parse_time(at) if at else None

    async def counts(db: Database) -> dict[str, int]:
        return await broadcasts.preview(db, audience)

    if not yes:
        per_channel = with_database(counts)
        typer.echo(f"Sẽ gửi tới {sum(per_channel.values())} người ({show_per_channel(per_channel)}).")
        if not typer.confirm("Gửi đợt tin này?"):
            typer.echo("Đã hủy, chưa gửi gì.")
            raise typer.Exit(1)

    async def work(db: Database) -> BroadcastInfo:
        found = await broadcasts.event_for(db, event) if event else None
        payload = outgoing_to_dict(broadcast_message(text or "", found, _tz()))
        return await broadcasts.create(db, created_by="cli", payload=payload, audience=audience,
                                       text=text or "", event_code=event, send_at=send_at)

    info = with_database(work)
    if as_json:
        typer.echo(dump_json({"id": info.id, "recipients": info.recipients,
                              "per_channel": info.per_channel,
                              "send_at": info.send_at.isoformat()}))
        return
    local = info.send_at.astimezone(_tz())
    typer.echo(f"Đã tạo đợt tin số {info.id}: {info.recipients} người nhận "
               f"({show_per_channel(info.per_channel)}), gửi từ {local:%H:%M %d/%m/%Y}.")


def report_dict(info: BroadcastInfo) -> dict[str, Any]:
    c = info.counts
    return {"id": info.id, "status": info.status, "recipients": info.recipients,
            "sent": c.sent, "failed": c.failed, "skipped": c.skipped, "pending": c.pending,
            "unknown": c.unknown,
            "send_at": info.send_at.isoformat(), "event": info.event_code,
            "audience": info.audience.to_dict(), "created_by": info.created_by}


@broadcast_app.command("report")
def report_cmd(
    broadcast_id: Annotated[int, typer.Argument(help="Mã đợt tin")],
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON")] = False,
) -> None:
    """Kết quả gửi: đã gửi, lỗi (theo lý do), bỏ qua (theo lý do), đang chờ."""

    async def work(db: Database) -> BroadcastInfo:
        return await broadcasts.report(db, broadcast_id)

    info = with_database(work)
    typer.echo(dump_json(report_dict(info)) if as_json else "\n".join(report_lines(info)))


@broadcast_app.command("cancel")
def cancel_cmd(broadcast_id: Annotated[int, typer.Argument(help="Mã đợt tin")]) -> None:
    """Dừng những tin chưa gửi của một đợt tin."""

    async def work(db: Database) -> int:
        return await broadcasts.cancel(db, broadcast_id)

    stopped = with_database(work)
    typer.echo(f"Đã hủy đợt tin số {broadcast_id}: {stopped} tin chưa gửi sẽ không được gửi.")


def worker_cmd() -> None:
    """Gửi tin trong hàng đợi (nhịp độ theo từng bot) và chạy việc định kỳ; SIGTERM dừng gọn."""
    from bot.cli_telegram import configure_logging, run_channel
    from bot.worker_service import run_worker

    settings = get_settings()
    configure_logging(settings.log_level)
    run_channel(run_worker(settings))


def register(app: typer.Typer) -> None:
    app.add_typer(broadcast_app, name="broadcast")
    app.command("worker")(worker_cmd)
