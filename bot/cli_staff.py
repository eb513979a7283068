"""`ketnoi staff add|list|remove|duty|login-link`: who works for which connection point, and their
one-time link to the web console."""

from __future__ import annotations

from typing import Annotated

import typer

from bot.cli_storage import dump_json, with_database
from storage.db import Database
from storage.repos import staff, web_logins

staff_app = typer.Typer(help="Cán bộ các điểm kết nối (staff of the connection points).",
                        no_args_is_help=True)


@staff_app.command("add")
def add_cmd(
    channel: Annotated[str, typer.Argument(help="Kênh: telegram, zalo ...")],
    user_id: Annotated[str, typer.Argument(help="Mã người dùng trên kênh")],
    point: Annotated[str, typer.Option("--point", help="Mã điểm (DKN-BN) hoặc tỉnh/thành")],
    name: Annotated[str | None, typer.Option("--name", help="Họ tên cán bộ")] = None,
    role: Annotated[str, typer.Option("--role", help="staff | admin (quản trị cán bộ)")] = "staff",
    fallback: Annotated[bool | None, typer.Option(
        "--fallback/--no-fallback",
        help="Cán bộ dự phòng: nhận cảnh báo khi không ai của điểm đang trực")] = None,
) -> None:
    """Thêm (hoặc cập nhật) một cán bộ của điểm kết nối."""

    async def work(db: Database) -> staff.StaffMember:
        return await staff.add(db, channel, user_id, point=point, name=name,
                               role=role.strip().lower(), fallback=fallback, actor="cli")

    member = with_database(work)
    role = "quản trị" if member.is_admin else "cán bộ"
    extra = " (dự phòng)" if member.fallback else ""
    typer.echo(f"Đã thêm {role}{extra} {member.label} ({member.channel}:{member.user_id}) "
               f"của {member.point_name} ({member.point}).")


@staff_app.command("duty")
def duty_cmd(
    channel: Annotated[str, typer.Argument(help="Kênh")],
    user_id: Annotated[str, typer.Argument(help="Mã người dùng trên kênh")],
    state: Annotated[str, typer.Argument(help="on (đang trực) | off (nghỉ trực)")],
) -> None:
    """Bật/tắt trực: cảnh báo nhu cầu mới chỉ gửi cán bộ đang trực của điểm."""
    word = state.strip().lower()
    if word not in ("on", "off"):
        typer.echo("Trạng thái trực chỉ nhận on hoặc off.", err=True)
        raise typer.Exit(2)

    async def work(db: Database) -> staff.StaffMember:
        return await staff.set_duty(db, channel, user_id, word == "on", actor="cli")

    member = with_database(work)
    typer.echo(f"{member.label} ({member.point}): "
               + ("đang trực." if member.on_duty else "nghỉ trực."))


@staff_app.command("list")
def list_cmd(
    point: Annotated[str | None, typer.Option("--point", help="Chỉ một điểm")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="In dạng JSON")] = False,
) -> None:
    """Danh sách cán bộ theo điểm kết nối."""

    async def work(db: Database) -> list[staff.StaffMember]:
        return await staff.list_members(db, point)

    members = with_database(work)
    if as_json:
        typer.echo(dump_json([m.to_dict() for m in members]))
        return
    if not members:
        typer.echo("Chưa có cán bộ nào. Thêm bằng: ketnoi staff add telegram 123456 "
                   "--point DKN-BN --name \"Nguyễn Văn A\"")
        return
    for m in members:
        role = " (quản trị)" if m.is_admin else ""
        duty = "đang trực" if m.on_duty else "nghỉ trực"
        extra = ", dự phòng" if m.fallback else ""
        typer.echo(f"{m.point}\t{m.channel}:{m.user_id}\t{m.name or '(chưa có tên)'}{role}"
                   f"\t{duty}{extra}")


@staff_app.command("remove")
def remove_cmd(
    channel: Annotated[str, typer.Argument(help="Kênh")],
    user_id: Annotated[str, typer.Argument(help="Mã người dùng trên kênh")],
) -> None:
    """Bỏ quyền cán bộ của một tài khoản chat."""

    async def work(db: Database) -> bool:
        return await staff.remove(db, channel, user_id, actor="cli")

    if with_database(work):
        typer.echo(f"Đã bỏ quyền cán bộ của {channel}:{user_id}.")
    else:
        typer.echo(f"{channel}:{user_id} không phải cán bộ, không có gì thay đổi.")
        raise typer.Exit(1)


@staff_app.command("login-link")
def login_link_cmd(
    channel: Annotated[str, typer.Argument(help="Kênh")],
    user_id: Annotated[str, typer.Argument(help="Mã người dùng trên kênh")],
) -> None:
    """In đường dẫn đăng nhập trang quản trị (dùng một lần, trong 10 phút) cho một cán bộ."""
    from bot.config import get_settings

    async def work(db: Database) -> tuple[staff.StaffMember, str]:
        return await web_logins.issue(db, channel, user_id)

    settings = get_settings()
    if not settings.secret_key:
        typer.echo("Chưa đặt KETNOI_SECRET_KEY: `ketnoi serve` không mở trang quản trị (/admin).",
                   err=True)
        raise typer.Exit(1)
    member, token = with_database(work)
    typer.echo(f"Đường dẫn đăng nhập cho {member.label} ({member.point}), dùng một lần trong "
               f"10 phút:\n{settings.console_login_url(token)}")


def register(app: typer.Typer) -> None:
    app.add_typer(staff_app, name="staff")
