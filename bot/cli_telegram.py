"""CLI: `ketnoi run telegram`, `ketnoi serve`, `ketnoi telegram set-webhook URL`."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

import typer

from bot.config import get_settings

run_app = typer.Typer(help="Chạy bot trên một kênh chat (run the bot on a chat channel).")
telegram_app = typer.Typer(help="Quản lý bot Telegram (manage the Telegram bot).")


def configure_logging(level: str) -> None:
    if not logging.getLogger().handlers:
        logging.basicConfig(
            level=level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
        )
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per Bot API call is noise


def run_async(coroutine: Coroutine[Any, Any, None]) -> None:
    """asyncio.run on uvloop when it is installed: about a third less CPU per message here."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(coroutine)
    else:
        uvloop.run(coroutine)


def run_channel(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run a command; configuration errors are printed (Vietnamese + English), exit code 2."""
    from bot.telegram import TelegramConfigError
    from bot.zalo.errors import ZaloConfigError

    try:
        run_async(coroutine)
    except (TelegramConfigError, ZaloConfigError) as error:
        typer.echo(f"Lỗi / Error: {error}", err=True)
        raise typer.Exit(code=2) from None
    except KeyboardInterrupt:
        pass


WORKERS_HELP = ("Số tiến trình phục vụ chung một cổng (cần PostgreSQL) / number of processes "
                "sharing the port (needs PostgreSQL)")


NO_WORKER_HELP = "Không chạy bộ gửi tin và việc định kỳ trong tiến trình này (dùng `ketnoi worker`)"


async def _with_worker(coroutine: Coroutine[Any, Any, None], worker: bool, *,
                       webhook: bool = False) -> None:
    """Run the outbox sender and the scheduled jobs beside the bot, so one command is enough
    (started only once the Telegram settings are known to be usable)."""
    from bot.telegram import check_secret, check_token
    from bot.worker_service import in_process

    settings = get_settings()
    try:
        if settings.telegram_token or not webhook:  # polling needs a token; serve only if set
            check_token(settings.telegram_token)
            if webhook:
                check_secret(settings.telegram_webhook_secret)
    except Exception:
        coroutine.close()
        raise
    async with in_process(settings, worker):
        await coroutine


@run_app.command("telegram")
def run_telegram(
    no_worker: bool = typer.Option(False, "--no-worker", help=NO_WORKER_HELP),
) -> None:
    """Long-poll Telegram (needs KETNOI_TELEGRAM_TOKEN); Ctrl-C stops."""
    from bot.telegram.runner import run_polling

    settings = get_settings()
    configure_logging(settings.log_level)
    run_channel(_with_worker(run_polling(settings), not no_worker))


@telegram_app.command("set-webhook")
def set_webhook(
    url: str = typer.Argument(..., help="https://your.domain/telegram/webhook"),
) -> None:
    """Register the webhook URL with Telegram (with KETNOI_TELEGRAM_WEBHOOK_SECRET)."""
    from bot.telegram.runner import set_webhook as register

    settings = get_settings()
    configure_logging(settings.log_level)
    run_channel(register(settings, url))
    typer.echo(f"Đã đăng ký webhook / webhook registered: {url}")


@telegram_app.command("webhook-info")
def webhook_info() -> None:
    """Show the registered webhook, pending updates and Telegram's last delivery error."""
    from bot.telegram.runner import webhook_info as fetch

    settings = get_settings()
    configure_logging(settings.log_level)
    info: dict[str, object] = {}

    async def work() -> None:
        info.update(await fetch(settings))

    run_channel(work())
    for key, value in info.items():
        typer.echo(f"{key}: {value}")


def serve(
    host: str = typer.Option(None, help="default: KETNOI_HOST"),
    port: int = typer.Option(None, help="default: KETNOI_PORT"),
    no_worker: bool = typer.Option(False, "--no-worker", help=NO_WORKER_HELP),
    workers: int = typer.Option(1, "--workers", help=WORKERS_HELP),
) -> None:
    """Run the web app: GET /healthz, POST /telegram/webhook, /zalo-bot/webhook, /zalo-oa/webhook."""
    from bot.web import serve as serve_web

    settings = get_settings()
    configure_logging(settings.log_level)
    if workers != 1:
        _serve_workers(settings, workers, host, port, not no_worker)
        return
    run_channel(_with_worker(serve_web(settings, host, port), not no_worker, webhook=True))


def _serve_workers(settings: Any, workers: int, host: str | None, port: int | None,
                   with_worker: bool) -> None:
    from bot.telegram import TelegramConfigError
    from bot.workers import WorkersRefused, serve_workers
    from bot.zalo.errors import ZaloConfigError

    try:
        code = serve_workers(settings, workers, host, port, with_worker)
    except (WorkersRefused, TelegramConfigError, ZaloConfigError) as error:
        typer.echo(f"Lỗi / Error: {error}", err=True)
        raise typer.Exit(code=2) from None
    raise typer.Exit(code=code)


def register(app: typer.Typer) -> None:
    """Add this feature's commands to `app`."""
    app.add_typer(run_app, name="run")
    app.add_typer(telegram_app, name="telegram")
    app.command("serve")(serve)
