"""Real `ketnoi serve` processes on one database against the fake Bot API (tests, load test).

Each `ServeProcess` is a separate `ketnoi serve` (as behind a load balancer) or, with
`workers=N`, one `ketnoi serve --workers N`. `Webhook` plays Telegram's side of the webhook:
it posts an update and, as Telegram does, posts it again when the process did not answer 200
(a killed process, a refused connection), to the next process.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from tests.bot.fake_telegram import TOKEN

ROOT = Path(__file__).resolve().parents[3]
SECRET = "workers-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
SENDER_NAME = "ketnoi-sender"  # the reply sender's process name (bot.workers)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def create_database(server_url: str, prefix: str = "t_workers") -> str:
    """A fresh PostgreSQL database on the server of `server_url`; returns its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'CREATE DATABASE "{name}"'))
    await admin.dispose()
    return server_url.rsplit("/", 1)[0] + f"/{name}"


async def drop_database(server_url: str, url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = create_async_engine(server_url, isolation_level="AUTOCOMMIT")
    async with admin.connect() as conn:
        await conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    await admin.dispose()


class ServeProcess:
    """`ketnoi serve` on `port`; killed with SIGKILL and started again by the tests."""

    def __init__(self, database_url: str, api_url: str, port: int, *, workers: int = 1,
                 log: Path | None = None, env: dict[str, str] | None = None,
                 sender: bool = False) -> None:
        self.port = port
        self.workers = workers
        self.sender = sender  # each process also runs the outbox sender (no --no-worker)
        self.url = f"http://127.0.0.1:{port}"
        self.env = {**os.environ, "KETNOI_DATABASE_URL": database_url,
                    "KETNOI_TELEGRAM_TOKEN": TOKEN, "KETNOI_TELEGRAM_API_URL": api_url,
                    "KETNOI_TELEGRAM_WEBHOOK_SECRET": SECRET, "KETNOI_LOG_LEVEL": "WARNING",
                    "PYTHONPATH": str(ROOT), **(env or {})}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        self.log = log
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, timeout: float = 180) -> None:
        command = [sys.executable, "-m", "bot.cli", "serve", "--host", "127.0.0.1",
                   "--port", str(self.port)] + ([] if self.sender else ["--no-worker"])
        if self.workers != 1:
            command += ["--workers", str(self.workers)]
        out = open(self.log, "ab") if self.log else asyncio.subprocess.DEVNULL  # noqa: SIM115
        self.process = await asyncio.create_subprocess_exec(
            *command, cwd=ROOT, env=self.env, stdout=out, stderr=out)
        await self.wait_ready(timeout)

    async def wait_ready(self, timeout: float = 180) -> None:
        """Until /healthz answers 200 (with N workers: until each of them has answered)."""
        seen: set[int] = set()
        async with asyncio.timeout(timeout), httpx.AsyncClient(timeout=5) as client:
            while len(seen) < self.workers:
                if self.process is not None and self.process.returncode is not None:
                    raise RuntimeError(f"ketnoi serve exited with {self.process.returncode}")
                try:
                    # a new connection each time: the kernel picks a worker per connection
                    response = await client.get(f"{self.url}/healthz",
                                                headers={"Connection": "close"})
                    if response.status_code == 200:
                        seen.add(int(response.json()["process"]))
                        continue
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)

    def worker_pids(self) -> list[int]:
        """The worker processes of `ketnoi serve --workers N`: children of the supervisor's fork
        server (not the fork server itself, nor multiprocessing's resource tracker, nor the
        reply sender)."""
        return [pid for pid in self._forked() if _name(pid) != SENDER_NAME]

    def sender_pid(self) -> int | None:
        """The reply sender process of `ketnoi serve --workers N` (None while it restarts)."""
        senders = [pid for pid in self._forked() if _name(pid) == SENDER_NAME]
        return senders[0] if senders else None

    def _forked(self) -> list[int]:
        assert self.process is not None
        pids = []
        for child in _children(self.process.pid):
            command = _command_line(child)
            if b"forkserver" in command:
                pids += _children(child)
            elif b"multiprocessing" in command and b"resource_tracker" not in command:
                pids.append(child)
        return pids

    def fork_server_pid(self) -> int:
        """The fork server of `ketnoi serve --workers N`, the workers' parent."""
        assert self.process is not None
        servers = [c for c in _children(self.process.pid) if b"forkserver" in _command_line(c)]
        assert len(servers) == 1, servers
        return servers[0]

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def stop(self) -> None:
        if self.process is None:
            return
        if self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 40)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
        else:
            await self.process.wait()
        self.process = None


def _children(pid: int) -> list[int]:
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def _name(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def _command_line(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


class Webhook:
    """Telegram's side of the webhook: post, and post again elsewhere until one answers 200."""

    def __init__(self, urls: Sequence[str], connections: int = 100,
                 answer_within: float = 30) -> None:
        self.urls = list(urls)
        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        # waiting for a free connection is not the bot's slowness: no limit on it
        timeout = httpx.Timeout(answer_within, connect=10, pool=None)
        self.client = httpx.AsyncClient(limits=limits, timeout=timeout)
        self.retries = 0

    async def post(self, update: dict[str, Any], first: int = 0, deadline: float = 120) -> int:
        """Deliver `update`, starting with process `first`; returns which process took it."""
        attempt = 0
        async with asyncio.timeout(deadline):
            while True:
                target = (first + attempt) % len(self.urls)
                try:
                    response = await self.client.post(
                        f"{self.urls[target]}/telegram/webhook", json=update,
                        headers={SECRET_HEADER: SECRET})
                    if response.status_code == 200:
                        return target
                except httpx.HTTPError:
                    pass
                attempt += 1
                self.retries += 1
                await asyncio.sleep(min(0.05 * attempt, 0.5))

    async def close(self) -> None:
        await self.client.aclose()


async def settle(api: Any, chat: Any, quiet: float = 0.4) -> None:
    """Until no reply to `chat` has reached the fake API (`api.sent(chat)`) for `quiet` s."""
    seen = -1
    while len(api.sent(chat)) != seen:
        seen = len(api.sent(chat))
        await asyncio.sleep(quiet)


def same(texts: list[str]) -> list[str]:
    """Replies with their numbers (ids, dates, counts) masked, to compare two dialogues."""
    return [re.sub(r"\d+", "#", t) for t in texts]


async def demands_per_user(url: str, channel: str | None = None) -> dict[str, int]:
    """How many demands each user (of `channel`) has stored: a demand submitted once."""
    engine = create_async_engine(url)
    where = "WHERE u.channel = :channel " if channel else ""
    try:
        async with engine.connect() as connection:
            rows = await connection.execute(text(
                "SELECT u.external_id, count(d.id) FROM users u LEFT JOIN demands d "
                f"ON d.user_id = u.id {where}GROUP BY u.external_id"), {"channel": channel})
            return {str(external): int(n) for external, n in rows}
    finally:
        await engine.dispose()
