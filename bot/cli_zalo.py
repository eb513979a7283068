"""CLI: `ketnoi run zalo-bot`, `ketnoi zalo-bot set-webhook URL|webhook-info`,
`ketnoi zalo-oa set-tokens ACCESS REFRESH|authorize|exchange CODE`."""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

import typer

from bot.cli_telegram import NO_WORKER_HELP, configure_logging, run_channel
from bot.config import get_settings

bot_app = typer.Typer(help="Quản lý bot Zalo Bot Platform (manage the Zalo bot).")
oa_app = typer.Typer(help="Quản lý Zalo Official Account (manage the Zalo OA).")


def _settings() -> Any:
    settings = get_settings()
    configure_logging(settings.log_level)
    return settings


async def _with_worker(coroutine: Coroutine[Any, Any, None], settings: Any, worker: bool) -> None:
    """The outbox sender and the scheduled jobs beside the bot, once the token looks usable."""
    from bot.worker_service import in_process
    from bot.zalo.setup import check_bot_token

    try:
        check_bot_token(settings.zalo_bot_token)
    except Exception:
        coroutine.close()
        raise
    async with in_process(settings, worker):
        await coroutine


def run_zalo_bot(
    no_worker: bool = typer.Option(False, "--no-worker", help=NO_WORKER_HELP),
) -> None:
    """Long-poll the Zalo Bot Platform (needs KETNOI_ZALO_BOT_TOKEN); Ctrl-C stops."""
    from bot.zalo.runner import run_polling

    settings = _settings()
    run_channel(_with_worker(run_polling(settings), settings, not no_worker))


@bot_app.command("set-webhook")
def set_webhook(url: str = typer.Argument(..., help="https://your.domain/zalo-bot/webhook")) -> None:
    """Register the webhook URL with the Zalo Bot Platform (with KETNOI_ZALO_BOT_WEBHOOK_SECRET)."""
    from bot.zalo.runner import set_webhook as register

    info: dict[str, object] = {}

    async def work() -> None:
        info.update(await register(_settings(), url))

    run_channel(work())
    typer.echo(f"Đã đăng ký webhook / webhook registered: {info.get('url') or url}")


@bot_app.command("webhook-info")
def webhook_info() -> None:
    """Show the webhook the Zalo Bot Platform has for this bot."""
    from bot.zalo.runner import webhook_info as fetch

    info: dict[str, object] = {}

    async def work() -> None:
        info.update(await fetch(_settings()))

    run_channel(work())
    for key, value in info.items():
        typer.echo(f"{key}: {value}")


@oa_app.command("set-tokens")
def set_tokens(access_token: str, refresh_token: str) -> None:
    """Store an access/refresh token pair taken from Zalo's API Explorer (encrypted)."""
    from bot.zalo.runner import set_tokens as store

    async def work() -> None:
        expires = await store(_settings(), access_token, refresh_token)
        typer.echo(f"Đã lưu token Zalo OA / Zalo OA tokens stored (access token counted valid until {expires:%Y-%m-%d %H:%M} UTC).")

    run_channel(work())


@oa_app.command("authorize")
def authorize(redirect_uri: str = typer.Option(
        None, help="callback URL registered in the Zalo app (default KETNOI_ZALO_OA_REDIRECT_URI)")
) -> None:
    """Print the OAuth v4 consent URL (PKCE); open it as the OA's admin, then run `exchange CODE`."""
    from bot.zalo.runner import authorize as consent

    async def work() -> None:
        url = await consent(_settings(), redirect_uri)
        typer.echo("Mở địa chỉ sau bằng tài khoản quản trị OA, rồi chạy `ketnoi zalo-oa exchange "
                   "CODE` với mã trong địa chỉ callback / open as the OA admin, then exchange "
                   "the code:")
        typer.echo(url)

    run_channel(work())


@oa_app.command("exchange")
def exchange(code: str) -> None:
    """Exchange the authorisation code (valid 10 minutes) for the token pair and store it."""
    from bot.zalo.runner import exchange as swap

    async def work() -> None:
        expires = await swap(_settings(), code)
        typer.echo(f"Đã lưu token Zalo OA / Zalo OA tokens stored (access token valid until {expires:%Y-%m-%d %H:%M} UTC).")

    run_channel(work())


def register(app: typer.Typer, run_app: typer.Typer) -> None:
    """Add this feature's commands to `app` (and `zalo-bot` to `ketnoi run`)."""
    run_app.command("zalo-bot")(run_zalo_bot)
    app.add_typer(bot_app, name="zalo-bot")
    app.add_typer(oa_app, name="zalo-oa")
