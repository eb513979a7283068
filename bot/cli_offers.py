"""`ketnoi offers list|approve|reject|ask`: review the technologies offered in chat."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli_storage import dump_json, with_database
from handlers.offer_text import approved, offer_line, question_to_offerer, rejected
from storage.db import Database
from storage.repos import offers

offers_app = typer.Typer(help="Duyệt công nghệ chào bán (review offered technologies).",
                         no_args_is_help=True)


@offers_app.command("list")
def list_cmd(as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON")] = False) -> None:
    """Công nghệ chờ duyệt, cũ nhất trước (offers waiting for review)."""

    async def work(db: Database) -> list[offers.Offer]:
        return await offers.pending(db, limit=1000)

    waiting = with_database(work)
    if as_json:
        typer.echo(dump_json([o.to_dict() for o in waiting]))
        return
    typer.echo("\n".join(offer_line(o) for o in waiting) or "Không có công nghệ nào chờ duyệt.")


@offers_app.command("approve")
def approve_cmd(code: Annotated[str, typer.Argument(help="Mã hoặc số công nghệ (code or id)")]
                ) -> None:
    """Duyệt: đưa vào danh mục và chỉ mục tìm kiếm ngay (approve: published at once)."""

    async def work(db: Database) -> offers.Offer:
        return await offers.decide(db, code, True, "cli", tell=approved)

    typer.echo(f"Đã duyệt {with_database(work).code}.")


@offers_app.command("reject")
def reject_cmd(
    code: Annotated[str, typer.Argument(help="Mã hoặc số công nghệ (code or id)")],
    reason: Annotated[str, typer.Option("--reason", help="Lý do (người chào bán sẽ đọc)")],
) -> None:
    """Từ chối, kèm lý do (reject with a reason the offerer reads)."""

    async def work(db: Database) -> offers.Offer:
        return await offers.decide(db, code, False, "cli", reason=reason, tell=rejected(reason))

    typer.echo(f"Đã từ chối {with_database(work).code}.")


@offers_app.command("ask")
def ask_cmd(
    code: Annotated[str, typer.Argument(help="Mã hoặc số công nghệ (code or id)")],
    question: Annotated[str, typer.Option("--question", help="Câu hỏi gửi người chào bán")],
) -> None:
    """Cần bổ sung: gửi câu hỏi vào chat của người chào bán; câu trả lời hiện trong `offers
    list` (ask the offerer for more; the answer shows in `offers list`)."""

    async def work(db: Database) -> offers.Offer:
        return await offers.ask(db, code, question, "cli", tell=question_to_offerer)

    typer.echo(f"Đã gửi câu hỏi cho người chào bán {with_database(work).code}.")


def register(app: typer.Typer) -> None:
    app.add_typer(offers_app, name="offers")
