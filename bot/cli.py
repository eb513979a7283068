"""The `ketnoi` command: gathers every sub-command (each feature registers its own)."""

from __future__ import annotations

import typer

from bot import (
    cli_broadcast,
    cli_chat,
    cli_offers,
    cli_pipeline,
    cli_staff,
    cli_storage,
    cli_telegram,
    cli_zalo,
)

app = typer.Typer(
    name="ketnoi",
    help="ketnoi: trợ lý kết nối cung cầu công nghệ (chatbot for technology supply-demand connection).",
    no_args_is_help=True,
    add_completion=False,
)

for module in (cli_storage, cli_chat, cli_pipeline, cli_offers, cli_telegram, cli_staff,
               cli_broadcast):
    module.register(app)
cli_zalo.register(app, cli_telegram.run_app)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
