"""The ASGI app behind `ketnoi serve`: GET /healthz, GET /metrics, one webhook route per channel,
and the staff web console under /admin (`bot.admin`) when KETNOI_SECRET_KEY is set.

Each channel is a `WebChannel` (its routes, start, stop): Telegram, the Zalo Bot Platform and the
Zalo OA, each served when its settings are there. Channels are started before the HTTP server so a bad token fails with a clear message
instead of a half-started server.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
from collections.abc import Awaitable, Callable, Iterator, Sequence
from typing import Any, Protocol

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from bot import metrics
from bot.config import Settings
from bot.health import Health, database_of

log = logging.getLogger(__name__)

CoreFactory = Callable[[Settings], Awaitable[Any]]


class WebChannel(Protocol):
    name: str

    def routes(self) -> list[BaseRoute]: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    def status(self) -> str: ...


class _Server(uvicorn.Server):
    """uvicorn re-raises SIGINT once it has stopped, which would cut our cleanup short; here the
    signal only stops the server, and `serve` then stops the channels and closes the core."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def create_web_app(channels: Sequence[WebChannel], health: Health | None = None,
                   extra: Sequence[BaseRoute] = (),
                   admin: Starlette | None = None) -> Starlette:
    """`health`: what /healthz checks besides the channels (the database, Redis); `extra`: more
    routes (the report files); `admin`: the web console app (`bot.admin.create_admin_app`),
    mounted at /admin."""
    checks = health or Health(None)
    checks.channels = lambda: {c.name: c.status() for c in channels}

    async def healthz(_request: Request) -> JSONResponse:
        ok, body = await checks.report()
        return JSONResponse(body, status_code=200 if ok else 503)

    async def metrics_page(_request: Request) -> Response:
        body, content_type = metrics.exposition()
        return Response(body, media_type=content_type)

    routes: list[BaseRoute] = [Route("/healthz", healthz, methods=["GET"]),
                               Route("/metrics", metrics_page, methods=["GET"])]
    for channel in channels:
        routes.extend(channel.routes())
    routes.extend(extra)
    if admin is not None:
        routes.append(Mount("/admin", app=admin))
    return Starlette(routes=routes)


def admin_from_settings(settings: Settings, core: object) -> Starlette | None:
    """The web console, or None (with a warning) when KETNOI_SECRET_KEY is not set."""
    db = database_of(core)
    if not settings.secret_key or db is None:
        log.warning("KETNOI_SECRET_KEY is not set: the web console (/admin) is not served")
        return None
    from bot.admin import create_admin_app

    search = getattr(getattr(core, "services", None), "search", None)  # the bot's own index
    return create_admin_app(db, settings.secret_key, secure_cookie=settings.admin_cookie_secure,
                            session_hours=settings.admin_session_hours, search=search)


def channels_from_settings(settings: Settings, core: object) -> list[WebChannel]:
    """The channels configured by KETNOI_* settings (raises TelegramConfigError on bad ones)."""
    from bot.reply_handover import ReplyHandover
    from bot.telegram import TelegramChannel, check_secret, check_token
    from bot.telegram.webhook import TelegramWebhook

    channels: list[WebChannel] = []
    if settings.telegram_token:
        token = check_token(settings.telegram_token)
        secret = check_secret(settings.telegram_webhook_secret)
        channel = TelegramChannel(
            core, token, settings.telegram_api_url, group_chats=settings.group_chats,  # type: ignore[arg-type]
            handover=ReplyHandover.from_environment(),  # serve --workers N: its reply sender
        )
        channels.append(TelegramWebhook(channel, secret))
    else:
        log.warning("KETNOI_TELEGRAM_TOKEN is not set: /telegram/webhook is not served")
    channels.extend(zalo_channels(settings, core))
    return channels


def _report_routes(settings: Settings, core: Any) -> list[BaseRoute]:
    from bot.web_reports import report_routes

    db = database_of(core)
    return report_routes(settings, db) if db is not None else []


def zalo_channels(settings: Settings, core: object) -> list[WebChannel]:
    """/zalo-bot/webhook with KETNOI_ZALO_BOT_TOKEN, /zalo-oa/webhook with KETNOI_ZALO_OA_APP_ID."""
    from bot.zalo import setup
    from bot.zalo.webhook import ZaloBotWebhook, ZaloOAWebhook

    channels: list[WebChannel] = []
    if settings.zalo_bot_token:
        secret = setup.check_bot_secret(settings.zalo_bot_webhook_secret)
        channels.append(ZaloBotWebhook(setup.bot_channel(settings, core), secret))  # type: ignore[arg-type]
    if settings.zalo_oa_app_id or settings.zalo_oa_secret_key:
        app_id, key = setup.check_oa(settings)
        channels.append(ZaloOAWebhook(setup.oa_channel(settings, core), app_id, key))
    return channels


def check_settings(settings: Settings) -> None:
    """Fail on bad channel settings before the slow start of the core."""
    from bot.telegram import check_secret, check_token
    from bot.zalo import setup

    if settings.telegram_token:
        check_token(settings.telegram_token)
        check_secret(settings.telegram_webhook_secret)
    if settings.zalo_bot_token:
        setup.check_bot_token(settings.zalo_bot_token)
        setup.check_bot_secret(settings.zalo_bot_webhook_secret)
    if settings.zalo_oa_app_id or settings.zalo_oa_secret_key:
        setup.check_oa(settings)


def shared_socket(host: str, port: int) -> socket.socket:
    """A listening socket other processes may bind too (the kernel spreads connections)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say TCP
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


async def serve(
    settings: Settings,
    host: str | None = None,
    port: int | None = None,
    core_factory: CoreFactory | None = None,
    *,
    reuse_port: bool = False,
) -> None:
    """Run the web app until SIGINT/SIGTERM (uvicorn handles the signals). `reuse_port`: bind
    with SO_REUSEPORT, so several worker processes share the port (`bot.workers`)."""
    from bot.telegram.runner import close_core, create_core

    check_settings(settings)
    core = await (core_factory or create_core)(settings)
    channels: list[WebChannel] = []
    try:
        channels = channels_from_settings(settings, core)
        for channel in channels:
            await channel.start()
        health = Health(database_of(core), settings.redis_url)
        config = uvicorn.Config(
            create_web_app(channels, health, _report_routes(settings, core),
                           admin_from_settings(settings, core)),
            host=host or settings.host,
            port=port or settings.port,
            lifespan="off",
            log_level=settings.log_level.lower(),
            proxy_headers=True,
        )
        server = _Server(config)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, server.handle_exit, sig, None)
        await server.serve(sockets=[shared_socket(config.host, config.port)]
                           if reuse_port else None)
    finally:
        for channel in channels:
            with contextlib.suppress(Exception):
                await channel.stop()
        await close_core(core)
