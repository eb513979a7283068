"""`ketnoi users forget CHANNEL USER_ID`: erase a user's personal data on their request."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli_storage import with_database
from storage.db import Database
from storage.repos import privacy

users_app = typer.Typer(help="Người dùng (users): quyền xoá dữ liệu cá nhân.", no_args_is_help=True)


@users_app.command("forget")
def forget_cmd(
    channel: Annotated[str, typer.Argument(help="Kênh: telegram, zalo, console ...")],
    user_id: Annotated[str, typer.Argument(help="Mã người dùng trên kênh")],
) -> None:
    """Xoá hoặc ẩn danh mọi dữ liệu cá nhân của người dùng (Nghị định 13/2023); các số liệu
    thống kê ẩn danh được giữ lại."""

    async def work(db: Database) -> privacy.Forgotten | None:
        return await privacy.forget_account(db, channel, user_id)

    done = with_database(work)
    if done is None:
        typer.echo(f"Không có người dùng {channel}:{user_id} / no such user.", err=True)
        raise typer.Exit(code=1)
    typer.echo(f"Đã xoá dữ liệu cá nhân của {channel}:{user_id}: {done.demands} nhu cầu ẩn danh, "
               f"{done.subscriptions} đăng ký nhận tin, {done.registrations} đăng ký sự kiện, "
               f"{done.messages} tin nhắn, {done.offers} chào bán.")


def register(app: typer.Typer) -> None:
    app.add_typer(users_app, name="users")
