"""Run modes and operator commands: `ketnoi run zalo-bot`, the bot's webhook registration and
the OA's token pair (set-tokens, authorize, exchange)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from bot.config import Settings
from bot.telegram.runner import CoreFactory, _stop_on_signals, close_core, create_core
from bot.zalo import setup
from bot.zalo.bot_platform import ZaloBotChannel, poll
from bot.zalo.client import ZaloBotError
from bot.zalo.errors import ZaloConfigError
from bot.zalo.tokens import DEFAULT_LIFETIME, TokenError, TokenKeeper, TokenPair
from storage.db import Database

log = logging.getLogger(__name__)
T = TypeVar("T")


async def start_polling(channel: ZaloBotChannel, api_url: str) -> None:
    """getMe (checks the token), then drop any webhook: polling and a webhook exclude each other."""
    try:
        await channel.start()
    except ZaloBotError as error:
        raise setup.bot_error(api_url, error) from None
    try:
        await channel.client.delete_webhook()
    except ZaloBotError as error:
        log.info("deleteWebhook: %s", error)
    await channel.resume()  # what a previous run left, before new updates


async def run_polling(settings: Settings, stop: asyncio.Event | None = None,
                      core_factory: CoreFactory = create_core) -> None:
    """Long-poll the Zalo Bot Platform until `stop` (or SIGINT/SIGTERM)."""
    setup.check_bot_token(settings.zalo_bot_token)
    stop = stop or _stop_on_signals()
    core = await core_factory(settings)
    channel = setup.bot_channel(settings, core)
    try:
        await start_polling(channel, settings.zalo_bot_api_url)
        log.info("polling the Zalo Bot Platform at %s", settings.zalo_bot_api_url)
        task = asyncio.create_task(poll(channel, stop, settings.zalo_bot_poll_timeout))
        await stop.wait()
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    finally:
        with contextlib.suppress(Exception):
            await channel.stop()
        await close_core(core)


async def set_webhook(settings: Settings, url: str) -> dict[str, object]:
    secret = setup.check_bot_secret(settings.zalo_bot_webhook_secret)
    if not url.startswith("https://"):
        raise ZaloConfigError("Zalo chỉ gọi webhook qua HTTPS (https://...).\n"
                              "Zalo only calls HTTPS webhooks (https://...).")
    client = setup.bot_client(settings)
    try:
        return await client.set_webhook(url, secret)
    except ZaloBotError as error:
        raise setup.bot_error(settings.zalo_bot_api_url, error) from None
    finally:
        await client.aclose()


async def webhook_info(settings: Settings) -> dict[str, object]:
    client = setup.bot_client(settings)
    try:
        return await client.get_webhook_info()
    except ZaloBotError as error:
        raise setup.bot_error(settings.zalo_bot_api_url, error) from None
    finally:
        await client.aclose()


async def _with_keeper(settings: Settings, work: Callable[[TokenKeeper], Awaitable[T]]) -> T:
    db = Database(settings.database_url)
    keeper = setup.token_keeper(settings, db)
    try:
        await db.upgrade()
        return await work(keeper)
    except TokenError as error:
        raise ZaloConfigError(str(error)) from None
    finally:
        await keeper.oauth.aclose()
        await db.dispose()


async def set_tokens(settings: Settings, access_token: str, refresh_token: str) -> datetime:
    """Store a pair taken from Zalo's API Explorer (the access token counts as just issued)."""
    expires = datetime.now(UTC) + timedelta(seconds=DEFAULT_LIFETIME)
    pair = TokenPair(access_token.strip(), refresh_token.strip(), expires)
    if not pair.access_token or not pair.refresh_token:
        raise ZaloConfigError("Cần cả access token và refresh token.\n"
                              "Both the access token and the refresh token are needed.")

    async def work(keeper: TokenKeeper) -> datetime:
        await keeper.store(pair)
        return expires

    return await _with_keeper(settings, work)


async def authorize(settings: Settings, redirect_uri: str | None) -> str:
    uri = redirect_uri or settings.zalo_oa_redirect_uri
    if not uri:
        raise ZaloConfigError(
            "Cần địa chỉ callback đã khai báo trong ứng dụng Zalo: --redirect-uri hoặc "
            "KETNOI_ZALO_OA_REDIRECT_URI.\nThe callback URL registered in the Zalo app is "
            "needed: --redirect-uri or KETNOI_ZALO_OA_REDIRECT_URI.")

    async def work(keeper: TokenKeeper) -> str:
        return await keeper.begin_consent(uri)

    return await _with_keeper(settings, work)


async def exchange(settings: Settings, code: str) -> datetime:
    async def work(keeper: TokenKeeper) -> datetime:
        return (await keeper.exchange(code.strip())).expires_at

    return await _with_keeper(settings, work)
