"""Run an ASGI app with uvicorn inside the running event loop, on 127.0.0.1 (random port)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import uvicorn


class BackgroundServer:
    """Run an ASGI app with uvicorn inside the current event loop on 127.0.0.1, random port."""

    def __init__(self, app: Any, port: int = 0) -> None:
        self.app = app
        self.port = port
        self.server: uvicorn.Server | None = None
        self.task: asyncio.Task[None] | None = None

    async def start(self) -> str:
        # proto=IPPROTO_TCP matters: asyncio only sets TCP_NODELAY on sockets that say TCP, and
        # without it every keep-alive request waits ~40 ms for a delayed ACK.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        config = uvicorn.Config(self.app, log_level="warning", timeout_graceful_shutdown=2)
        self.server = uvicorn.Server(config)
        self.task = asyncio.create_task(self.server.serve(sockets=[sock]))
        while not self.server.started:
            if self.task.done():
                self.task.result()  # re-raise why it failed to start
            await asyncio.sleep(0.01)
        return f"http://127.0.0.1:{self.port}"

    async def stop(self) -> None:
        if self.server is not None and self.task is not None:
            self.server.should_exit = True
            await self.task


@asynccontextmanager
async def serving(api: Any) -> AsyncIterator[str]:
    """Serve a fake platform API (its `.app`) for the block; sets and yields its URL, then closes
    the fake (if it has `close()`) and stops the server."""
    server = BackgroundServer(api.app)
    api.url = await server.start()
    try:
        yield api.url
    finally:
        close = getattr(api, "close", None)
        if close is not None:
            await close()
        await server.stop()
