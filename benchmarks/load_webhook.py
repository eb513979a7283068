"""Telegram's side of the webhook for the load test, over raw keep-alive connections.

The same rule as `tests.bot.telegram.serving.Webhook` (post, and post again to the next process
until one answers 200), without httpx: a request is a few bytes written to an idle connection
and its answer is read with httptools, so posting an update costs tens of microseconds of the
driver's CPU rather than a millisecond.
"""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Sequence
from typing import Any, cast
from urllib.parse import urlsplit

import httptools

from tests.bot.telegram.serving import SECRET, SECRET_HEADER


class HookConnection(asyncio.Protocol):
    """One keep-alive connection to a bot process; one request at a time."""

    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.answer: asyncio.Future[int] | None = None
        self.closed = False
        self.keep_alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError("closed before the answer"))

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(error)

    def on_message_complete(self) -> None:
        self.keep_alive = self.parser.should_keep_alive()
        if self.answer is not None and not self.answer.done():
            self.answer.set_result(self.parser.get_status_code())

    def _fail(self, error: Exception) -> None:
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(ConnectionError(repr(error)))
        self.close()

    async def request(self, data: bytes) -> int:
        assert self.transport is not None
        self.answer = asyncio.get_running_loop().create_future()
        self.transport.write(data)
        return await self.answer

    def close(self) -> None:
        self.closed = True
        if self.transport is not None:
            self.transport.close()


class Target:
    """One bot process (or one port of several workers): its idle connections, newest last."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.head = (f"POST /telegram/webhook HTTP/1.1\r\nhost: {self.host}:{self.port}\r\n"
                     f"content-type: application/json\r\n{SECRET_HEADER}: {SECRET}\r\n"
                     "content-length: ").encode()
        self.idle: list[HookConnection] = []

    async def connection(self) -> HookConnection:
        while self.idle:
            connection = self.idle.pop()  # the most recently used: least likely timed out
            if not connection.closed:
                return connection
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        try:
            await asyncio.wait_for(loop.sock_connect(sock, (self.host, self.port)), 10)
        except BaseException:
            sock.close()
            raise
        _, protocol = await loop.create_connection(HookConnection, sock=sock)
        return protocol

    def release(self, connection: HookConnection) -> None:
        if connection.closed or not connection.keep_alive:
            connection.close()
        else:
            self.idle.append(connection)

    def close(self) -> None:
        for connection in self.idle:
            connection.close()
        self.idle.clear()


class LeanWebhook:
    """Post an update; post it again (to the next process) until one answers 200."""

    def __init__(self, urls: Sequence[str], connections: int = 100) -> None:
        self.targets = [Target(url) for url in urls]
        # waiting for a free connection is not the bot's slowness: it is not timed
        self.free = asyncio.Semaphore(connections)
        self.retries = 0

    async def post(self, update: dict[str, Any], first: int = 0, deadline: float = 120) -> int:
        """Deliver `update`, starting with process `first`; returns which process took it."""
        body = json.dumps(update, ensure_ascii=False).encode()
        attempt = 0
        async with asyncio.timeout(deadline):
            while True:
                index = (first + attempt) % len(self.targets)
                if await self._post_once(self.targets[index], body) == 200:
                    return index
                attempt += 1
                self.retries += 1
                await asyncio.sleep(min(0.05 * attempt, 0.5))

    async def _post_once(self, target: Target, body: bytes) -> int:
        async with self.free:
            try:
                connection = await target.connection()
            except (OSError, TimeoutError):
                return 0
            try:
                status = await connection.request(target.head + b"%d\r\n\r\n" % len(body) + body)
            except (ConnectionError, OSError):
                connection.close()
                return 0
            except BaseException:  # the deadline: the answer will never be read
                connection.close()
                raise
            target.release(connection)
            return status

    async def close(self) -> None:
        for target in self.targets:
            target.close()
