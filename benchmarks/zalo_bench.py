"""Zalo channels' latency beside Telegram's: webhook → first reply, 200 chats at once, through fakes.

One `ketnoi serve` process (the same as production) serves all three webhooks: Telegram,
the Zalo Bot Platform and the Zalo OA. This process plays the platforms: it runs the fake APIs,
makes 200 chats talk at once on one channel after the other (a pause of 1-3 s between a chat's
messages; --together: on every channel at the same time), after a warm-up burst per channel that
opens every connection, and times each webhook POST until the bot's first reply call for that chat arrives
(sendMessage for Telegram and the Zalo bot, message/cs for the OA).

    .venv/bin/python benchmarks/zalo_bench.py [--chats 200] [--messages 3] [--core echo|real]
        [--think 1 3] [--channels telegram zalo-bot zalo-oa] [--together] [--postgres URL]

--core echo answers instantly (what the adapters and the HTTP round trips cost); --core real runs
bot.app.App on a seeded temporary SQLite database, or with --postgres on that PostgreSQL database
(wiped first), where each turn holds its chat across processes (the advisory lock).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from cryptography.fernet import Fernet  # noqa: E402

from bot.cli_telegram import run_async  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.types import Button, Incoming, Outgoing  # noqa: E402
from tests.bot.fake_telegram import TOKEN, FakeTelegram  # noqa: E402
from tests.bot.fake_zalo import BOT_TOKEN, FakeZaloBot  # noqa: E402
from tests.bot.fake_zalo_oa import APP_SECRET, OA_APP_ID, OA_SECRET_KEY, FakeZaloOA  # noqa: E402
from tests.bot.telegram.server import BackgroundServer  # noqa: E402

SECRET = "bench-secret"
MENU = (Button("Tìm công nghệ", "menu:find_technology"), Button("Sự kiện", "menu:events"))
MESSAGES = ["xin chào", "có sự kiện nào sắp tới không", "cần máy sấy vải thiều", "cảm ơn", "/menu"]
ROUTES = {"telegram": "/telegram/webhook", "zalo-bot": "/zalo-bot/webhook",
          "zalo-oa": "/zalo-oa/webhook"}


# ------------------------------------------------------------------ the bot process


class EchoCore:
    """Answers instantly; has the database the OA keeps its tokens in."""

    def __init__(self, url: str) -> None:
        from storage.db import Database

        self.services = SimpleNamespace(db=Database(url))

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        return [Outgoing(f"Xin chào anh/chị! ({incoming.text})", buttons=MENU)]

    async def mark_user_inactive(self, channel: str, user_id: str) -> None:
        return None

    async def close(self) -> None:
        await self.services.db.dispose()


def bot_settings(args: argparse.Namespace) -> Settings:
    return Settings(
        database_url=args.db, log_level="WARNING",
        telegram_token=TOKEN, telegram_api_url=args.tg, telegram_webhook_secret=SECRET,
        zalo_bot_token=BOT_TOKEN, zalo_bot_api_url=args.zb, zalo_bot_webhook_secret=SECRET,
        zalo_oa_app_id=OA_APP_ID, zalo_oa_secret_key=OA_SECRET_KEY, zalo_app_secret=APP_SECRET,
        zalo_token_key=args.key, zalo_oa_api_url=args.oa, zalo_oauth_url=args.oa,
        zalo_oa_buttons="text",
    )


def run_bot(args: argparse.Namespace) -> None:
    from bot.web import serve

    async def factory(settings: Settings) -> Any:
        if args.core == "echo":
            return EchoCore(settings.database_url)
        from bot.app import App

        return await App.create(settings)

    run_async(serve(bot_settings(args), "127.0.0.1", args.port, core_factory=factory))


async def prepare_db(url: str, core: str, key: str, fake_oa: FakeZaloOA) -> None:
    """Migrate (and seed for the real core), and store the OA's token pair, encrypted."""
    from bot.zalo.tokens import TokenCipher, TokenKeeper, TokenPair, ZaloOAuth
    from storage.db import Database
    from storage.seed import seed

    db = Database(url)
    await db.upgrade()
    if core == "real":
        async with db.transaction() as s:
            await seed(s)
    access, refresh = fake_oa.issue_pair()
    keeper = TokenKeeper(db, ZaloOAuth(fake_oa.url, OA_APP_ID, APP_SECRET), TokenCipher(key))
    await keeper.store(TokenPair(access, refresh, datetime.now(UTC) + timedelta(hours=25)))
    await keeper.oauth.aclose()
    await db.dispose()


# ------------------------------------------------------------------ playing the platforms


class Load:
    def __init__(self, channel: str, fakes: dict[str, Any], web: httpx.AsyncClient) -> None:
        self.channel, self.fakes, self.web = channel, fakes, web
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.latencies: list[float] = []
        fakes[channel].on_call = self._seen  # this channel's replies only

    def _seen(self, call: Any) -> None:
        if call.method == "cs":
            chat = str(call.params.get("recipient", {}).get("user_id", ""))
        elif call.method == "sendMessage":
            chat = str(call.params.get("chat_id", ""))
        else:
            return
        future = self.waiting.pop(chat, None)
        if future is not None and not future.done():
            future.set_result(getattr(call, "at", time.perf_counter()))

    def request(self, chat: int, text: str) -> tuple[bytes, dict[str, str]]:
        import json

        if self.channel == "telegram":
            body = json.dumps(self.fakes["telegram"].message(chat, text)).encode()
            return body, {"X-Telegram-Bot-Api-Secret-Token": SECRET}
        if self.channel == "zalo-bot":
            update = {"ok": True, "result": self.fakes["zalo-bot"].message(str(chat), text)}
            return json.dumps(update).encode(), {"X-Bot-Api-Secret-Token": SECRET}
        fake_oa: FakeZaloOA = self.fakes["zalo-oa"]
        return fake_oa.signed(fake_oa.text(str(chat), text))

    async def say(self, chat: int, text: str) -> None:
        body, headers = self.request(chat, text)
        future = asyncio.get_running_loop().create_future()
        self.waiting[str(chat)] = future
        started = time.perf_counter()
        for attempt in range(3):  # like the platforms, re-send when a keep-alive was closed
            try:
                response = await self.web.post(ROUTES[self.channel], content=body,
                                               headers=headers | {"Content-Type": "application/json"})
                response.raise_for_status()
                break
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if attempt == 2:
                    raise
        answered = await asyncio.wait_for(future, 120)
        self.latencies.append((answered - started) * 1000)

    async def chat(self, chat: int, args: argparse.Namespace, rng: random.Random) -> None:
        for n in range(args.messages):
            await asyncio.sleep(rng.uniform(*args.think))
            await self.say(chat, MESSAGES[n % len(MESSAGES)])


async def measure(load: Load, args: argparse.Namespace) -> None:
    rng = random.Random(42)
    await asyncio.gather(*(load.chat(10_000 + n, args, rng) for n in range(args.chats)))


async def wait_ready(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.perf_counter() + 180  # the real core may train the NLU model on first run
    async with httpx.AsyncClient() as client:
        while time.perf_counter() < deadline:
            if proc.poll() is not None:
                raise SystemExit(f"bot process exited with code {proc.returncode}")
            try:
                if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("bot process did not become ready")


async def run_all(args: argparse.Namespace,
                  tmp: Path) -> tuple[dict[str, list[float]], dict[str, float]]:
    fakes: dict[str, Any] = {"telegram": FakeTelegram(), "zalo-bot": FakeZaloBot(),
                             "zalo-oa": FakeZaloOA()}
    servers = {name: BackgroundServer(fake.app) for name, fake in fakes.items()}
    urls = {name: await server.start() for name, server in servers.items()}
    fakes["zalo-oa"].url = urls["zalo-oa"]
    key, port = Fernet.generate_key().decode(), _free_port()
    db = args.postgres or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    if args.postgres:
        await wipe(args.postgres)
    await prepare_db(db, args.core, key, fakes["zalo-oa"])
    command = [sys.executable, __file__, "--role", "bot", "--core", args.core, "--port", str(port),
               "--db", db, "--key", key, "--tg", urls["telegram"], "--zb", urls["zalo-bot"],
               "--oa", urls["zalo-oa"]]
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    results: dict[str, list[float]] = {}
    cpu: dict[str, float] = {}
    try:
        await wait_ready(port, proc)
        limits = httpx.Limits(max_connections=args.chats, max_keepalive_connections=args.chats)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                     timeout=60.0) as web:  # a loaded machine connects slowly
            loads = {channel: Load(channel, fakes, web) for channel in args.channels}
            for load in loads.values():  # warm-up: every connection opened, model and index
                await asyncio.gather(*(load.say(1 + n, "xin chào") for n in range(args.chats)))
                load.latencies.clear()
            if args.together:
                await asyncio.gather(*(measure(load, args) for load in loads.values()))
            for channel, load in loads.items():
                if not args.together:
                    before = process_cpu(proc.pid)
                    await measure(load, args)
                    cpu[channel] = (process_cpu(proc.pid) - before) / len(load.latencies) * 1000
                results[channel] = load.latencies
    finally:
        proc.send_signal(signal.SIGINT)
        try:  # in a thread: the fakes must keep answering while the bot shuts down
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()
        await fakes["telegram"].close()
        await fakes["zalo-bot"].close()
        for server in servers.values():
            await server.stop()
    return results, cpu


async def wipe(url: str) -> None:
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
    async with engine.connect() as conn:
        await conn.execute(text("DROP SCHEMA public CASCADE"))
        await conn.execute(text("CREATE SCHEMA public"))
    await engine.dispose()


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) the bot process used so far (Linux /proc; NaN elsewhere):
    unlike latency, it hardly depends on what else the machine is running."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


async def main(args: argparse.Namespace) -> None:
    print(f"zalo_bench: {args.chats} chats at once per channel, {args.messages} messages each, "
          f"pause {args.think[0]:g}-{args.think[1]:g} s, core={args.core}, "
          f"{'postgresql' if args.postgres else 'sqlite'}; "
          "webhook POST → first reply call, one `ketnoi serve` process for all channels")
    with tempfile.TemporaryDirectory(prefix="ketnoi-zalobench-") as tmp:
        results, cpu = await run_all(args, Path(tmp))
    for channel, samples in results.items():
        per_message = f"  bot CPU {cpu[channel]:.2f} ms/message" if channel in cpu else ""
        print(f"  {channel:<9} n={len(samples):>5}  p50 {percentile(samples, 50):6.1f}  "
              f"p90 {percentile(samples, 90):6.1f}  p99 {percentile(samples, 99):6.1f}  "
              f"max {max(samples):6.1f}  mean {statistics.fmean(samples):6.1f} ms{per_message}")
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--messages", type=int, default=3)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    parser.add_argument("--core", choices=["echo", "real"], default="echo")
    parser.add_argument("--channels", nargs="+", default=list(ROUTES), choices=list(ROUTES))
    parser.add_argument("--together", action="store_true",
                        help="load every channel at the same time (same conditions for each)")
    parser.add_argument("--postgres", metavar="URL",
                        help="run the bot on this PostgreSQL database (wiped first)")
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    for internal in ("--role", "--db", "--key", "--tg", "--zb", "--oa"):
        parser.add_argument(internal, help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.role:
        run_bot(arguments)
    else:
        run_async(main(arguments))
