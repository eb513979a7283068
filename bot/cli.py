"""The `ketnoi` command: gathers every sub-command (each feature registers its own)."""

from __future__ import annotations

import typer

from bot import (
    cli_broadcast,
    cli_chat,
    cli_offers,
    cli_pipeline,
    cli_report,
    cli_staff,
    cli_storage,
    cli_telegram,
    cli_users,
    cli_zalo,
)

HELP = "ketnoi: trợ lý kết nối cung cầu công nghệ (chatbot for technology supply-demand connection)."
app = typer.Typer(name="ketnoi", help=HELP, no_args_is_help=True, add_completion=False)

for module in (cli_storage, cli_chat, cli_pipeline, cli_offers, cli_telegram, cli_staff,
               cli_report, cli_broadcast, cli_users):
    module.register(app)
cli_zalo.register(app, cli_telegram.run_app)


def database_line() -> str:
    """Which database every command uses (set KETNOI_DATABASE_URL to choose another)."""
    from bot.config import get_settings
    from storage.location import describe

    try:
        where = describe(get_settings().database_url)
    except Exception as error:  # a broken setting must not hide --help
        where = f"(cấu hình lỗi / invalid settings: {error})"
    return f"Cơ sở dữ liệu / database: {where} (KETNOI_DATABASE_URL)."


def main() -> None:
    # Completed at run time: the database depends on the settings of this run.
    app.info.help = f"{HELP}\n\n{database_line()}"
    app()


if __name__ == "__main__":
    main()
