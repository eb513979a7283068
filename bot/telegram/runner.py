"""Run modes: long polling, and registering the webhook (served by `bot.web`)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from telegram.error import BadRequest, Conflict, InvalidToken, NetworkError, TelegramError

from bot.config import Settings
from bot.telegram.channel import Core, TelegramChannel
from bot.telegram.polling import Poller
from bot.telegram.setup import (
    ALLOWED_UPDATES,
    TelegramConfigError,
    build_application,
    check_secret,
    check_token,
    invalid_token_error,
    unreachable_error,
)

log = logging.getLogger(__name__)

CoreFactory = Callable[[Settings], Awaitable[Core]]
POLL_TIMEOUT = 30  # seconds Telegram holds a getUpdates call open when there is nothing new


async def create_core(settings: Settings) -> Core:
    """The real dialogue core (imported here so the adapter stays importable on its own)."""
    from bot.app import App

    core: Core = await App.create(settings)
    return core


async def close_core(core: Core) -> None:
    close = getattr(core, "close", None)
    if close is not None:
        await close()


def _on_poll_error(error: TelegramError) -> None:
    # The poller retries getUpdates itself; we only keep a trace of why.
    if isinstance(error, Conflict):
        log.error(
            "Telegram reports a conflict: another process polls with this token (or a webhook "
            "was set meanwhile); stop the other instance. / Có tiến trình khác đang dùng token."
        )
        return
    log.warning("getUpdates failed, retrying: %r", error)


async def start_polling(channel: TelegramChannel, poll_timeout: int = POLL_TIMEOUT) -> None:
    await channel.start()
    channel.poller = Poller(
        channel.application,
        timeout=poll_timeout,
        allowed_updates=ALLOWED_UPDATES,
        on_error=_on_poll_error,
        on_skip=channel.count_skipped,
    )
    await channel.poller.start()


async def stop_polling(channel: TelegramChannel) -> None:
    if channel.poller is not None:
        await channel.poller.stop()
        channel.poller = None
    await channel.stop()


async def run_polling(
    settings: Settings,
    stop: asyncio.Event | None = None,
    core_factory: CoreFactory = create_core,
) -> None:
    """Long-poll until `stop` is set (or SIGINT/SIGTERM). Raises TelegramConfigError early."""
    token = check_token(settings.telegram_token)
    stop = stop or _stop_on_signals()
    core = await core_factory(settings)
    channel = TelegramChannel(core, token, settings.telegram_api_url,
                              group_chats=settings.group_chats)
    try:
        await start_polling(channel)
        log.info("polling Telegram at %s", settings.telegram_api_url)
        await stop.wait()
    finally:
        with contextlib.suppress(Exception):
            await stop_polling(channel)
        await close_core(core)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def webhook_info(settings: Settings) -> dict[str, object]:
    """What Telegram knows about the webhook: URL, pending updates, last delivery error."""
    token = check_token(settings.telegram_token)
    application = build_application(token, settings.telegram_api_url)
    try:
        async with application:
            info = await application.bot.get_webhook_info()
    except InvalidToken as error:
        raise invalid_token_error(settings.telegram_api_url) from error
    except NetworkError as error:
        raise unreachable_error(settings.telegram_api_url, error) from error
    return {
        "url": info.url or None,
        "pending_update_count": info.pending_update_count,
        "last_error_date": info.last_error_date.isoformat() if info.last_error_date else None,
        "last_error_message": info.last_error_message,
        "allowed_updates": list(info.allowed_updates or ()),
    }


async def set_webhook(settings: Settings, url: str) -> None:
    """Register `url` with Telegram, with the secret Telegram will echo in every request."""
    token = check_token(settings.telegram_token)
    secret = check_secret(settings.telegram_webhook_secret)
    application = build_application(token, settings.telegram_api_url)
    try:
        async with application:
            await application.bot.set_webhook(
                url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES
            )
    except InvalidToken as error:
        raise invalid_token_error(settings.telegram_api_url) from error
    except BadRequest as error:  # e.g. "bad webhook: HTTPS url must be provided for webhook"
        raise TelegramConfigError(
            f"Telegram từ chối webhook {url}: {error.message}\n"
            f"Telegram refused the webhook {url}: {error.message}"
        ) from error
    except NetworkError as error:
        raise unreachable_error(settings.telegram_api_url, error) from error
