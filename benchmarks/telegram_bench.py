"""Telegram channel latency: update → first sendMessage, 200 chats at once, through the fake Bot API.

The bot (PTB + adapter + core) runs in its own process, as in production; this process plays
Telegram: it serves the fake Bot API, makes 200 chats talk at once (a pause of 1-3 s between a
chat's messages, like dialogue_bench), and times each update until the bot's first sendMessage
for that chat arrives. Both delivery paths are measured: long polling and the webhook.
Goal: p50 ≤ 15 ms, p99 ≤ 60 ms.

    .venv/bin/python benchmarks/telegram_bench.py [--chats 200] [--messages 5] [--core echo|real]
        [--think 1 3] [--burst]

--core echo answers instantly (the adapter's own cost); --core real runs bot.app.App on a seeded
temporary SQLite database. --burst sends every chat's first message in the same instant.
--profile DIR samples the bot process with py-spy (`pip install py-spy`) and writes one collapsed
stack file per mode (`DIR/webhook.txt`, for flamegraph.pl or speedscope) plus the top functions by
own and total time (`DIR/webhook.top.txt`).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bot.cli_telegram import run_async  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.types import Button, Incoming, Outgoing  # noqa: E402
from tests.bot.fake_telegram import TOKEN, Call, FakeTelegram  # noqa: E402
from tests.bot.telegram.server import BackgroundServer  # noqa: E402

SECRET = "bench-secret"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MENU = (Button("Tìm công nghệ", "menu:find_technology"), Button("Sự kiện", "menu:events"))
MESSAGES = ["xin chào", "có sự kiện nào sắp tới không", "cần máy sấy vải thiều", "cảm ơn", "/menu"]


# ------------------------------------------------------------------ the bot process


class EchoCore:
    """Answers instantly: isolates what the adapter and the Bot API round trip cost."""

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        return [Outgoing(f"Xin chào anh/chị! ({incoming.text})", buttons=MENU)]

    async def mark_user_inactive(self, channel: str, user_id: str) -> None:
        return None


class Metered:
    """Wraps the core to measure the bot process's CPU time per message, which (unlike latency)
    does not depend on what else the machine is running."""

    def __init__(self, core: Any) -> None:
        self.core = core
        self.count = 0
        self.cpu_at_first = 0.0

    async def handle(self, incoming: Incoming) -> list[Outgoing]:
        self.count += 1
        if self.count == 1:
            self.cpu_at_first = time.process_time()
        result: list[Outgoing] = await self.core.handle(incoming)
        return result

    async def mark_user_inactive(self, channel: str, user_id: str) -> None:
        await self.core.mark_user_inactive(channel, user_id)

    async def close(self) -> None:
        if self.count > 1:
            per_message = (time.process_time() - self.cpu_at_first) / (self.count - 1) * 1000
            Path(STATS).write_text(f"{per_message:.2f}")
        if hasattr(self.core, "close"):
            await self.core.close()


STATS = ""


async def real_core(settings: Settings) -> Any:
    from bot.app import App
    from storage.db import Database
    from storage.seed import seed

    db = Database(settings.database_url)
    await db.upgrade()
    async with db.session() as s:
        await seed(s)
        await s.commit()
    await db.dispose()
    return await App.create(settings)


async def echo_core(_settings: Settings) -> Any:
    return EchoCore()


def run_bot(args: argparse.Namespace) -> None:
    from bot.telegram.runner import run_polling
    from bot.web import serve

    settings = Settings(
        telegram_token=TOKEN,
        telegram_api_url=args.api,
        telegram_webhook_secret=SECRET,
        database_url=f"sqlite+aiosqlite:///{args.db}",
        log_level="WARNING",
    )
    inner = real_core if args.core == "real" else echo_core
    global STATS
    STATS = args.stats

    async def factory(settings: Settings) -> Any:
        return Metered(await inner(settings))

    if args.role == "polling":
        run_async(run_polling(settings, core_factory=factory))
    else:
        run_async(serve(settings, "127.0.0.1", args.port, core_factory=factory))


# ------------------------------------------------------------------ playing Telegram


class Load:
    def __init__(self, fake: FakeTelegram, mode: str, web: httpx.AsyncClient | None) -> None:
        self.fake, self.mode, self.web = fake, mode, web
        self.waiting: dict[str, asyncio.Future[float]] = {}
        self.latencies: list[float] = []
        fake.on_call = self._seen

    def _seen(self, call: Call) -> None:
        if call.method == "sendMessage":
            future = self.waiting.pop(call.chat_id, None)
            if future is not None and not future.done():
                future.set_result(call.at)

    async def say(self, chat_id: int, text: str) -> None:
        update = self.fake.message(chat_id, text)
        future = asyncio.get_running_loop().create_future()
        self.waiting[str(chat_id)] = future
        started = time.perf_counter()
        if self.web is None:
            await self.fake.push(update)
        else:
            await self.post(update)
        answered = await asyncio.wait_for(future, 30)
        self.latencies.append((answered - started) * 1000)

    async def post(self, update: dict[str, Any]) -> None:
        """Like Telegram, re-send when the connection drops (a keep-alive closed by the server)."""
        assert self.web is not None
        for attempt in range(3):
            try:
                response = await self.web.post(
                    "/telegram/webhook", json=update, headers={SECRET_HEADER: SECRET}
                )
                response.raise_for_status()
                return
            except (httpx.ReadError, httpx.RemoteProtocolError):
                if attempt == 2:
                    raise

    async def chat(self, chat_id: int, args: argparse.Namespace, rng: random.Random) -> None:
        for n in range(args.messages):
            if not (args.burst and n == 0):
                await asyncio.sleep(rng.uniform(*args.think))
            await self.say(chat_id, MESSAGES[n % len(MESSAGES)])


async def wait_ready(
    fake: FakeTelegram, mode: str, port: int, proc: subprocess.Popen[bytes]
) -> None:
    deadline = time.perf_counter() + 120  # the real core may train the NLU model on first run
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"bot process exited with code {proc.returncode}")
        if mode == "polling" and fake.calls_to("getUpdates"):
            return
        if mode == "webhook" and fake.calls_to("setMyCommands"):
            try:
                async with httpx.AsyncClient() as client:
                    if (await client.get(f"http://127.0.0.1:{port}/healthz")).status_code == 200:
                        return
            except httpx.HTTPError:
                pass
        await asyncio.sleep(0.1)
    raise SystemExit("bot process did not become ready")


async def measure(
    mode: str, args: argparse.Namespace, tmp: Path
) -> tuple[list[float], float, float]:
    fake = FakeTelegram()
    server = BackgroundServer(fake.app)
    api = await server.start()
    port = _free_port()
    stats = tmp / f"{mode}.cpu"
    command = [sys.executable, __file__, "--role", mode, "--api", api, "--core", args.core]
    command += ["--port", str(port), "--db", str(tmp / f"{mode}.db"), "--stats", str(stats)]
    proc = subprocess.Popen(command, cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)})
    spy: subprocess.Popen[bytes] | None = None
    try:
        await wait_ready(fake, mode, port, proc)
        if args.profile:  # attached once ready: start-up (seeding, model loading) is not sampled
            Path(args.profile).mkdir(parents=True, exist_ok=True)
            py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
            spy = subprocess.Popen([py_spy, "record", "--format", "raw", "--rate", "250",
                                    "--nonblocking", "--pid", str(proc.pid),
                                    "-o", str(Path(args.profile) / f"{mode}.txt")])
        limits = httpx.Limits(max_connections=args.chats, max_keepalive_connections=args.chats)
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", limits=limits,
                                     timeout=60) as web:  # a loaded machine is slow, not broken
            load = Load(fake, mode, web if mode == "webhook" else None)
            await load.say(1, "xin chào")  # warm-up: model, index, connections
            load.latencies.clear()
            rng = random.Random(42)
            cpu_before = time.process_time()
            await asyncio.gather(*(load.chat(10_000 + n, args, rng) for n in range(args.chats)))
            latencies = load.latencies
            own_cpu = (time.process_time() - cpu_before) / len(latencies) * 1000
    finally:
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            await asyncio.to_thread(spy.wait, 30)
        proc.send_signal(signal.SIGINT)
        try:  # in a thread: the fake API must keep answering while the bot shuts down
            await asyncio.to_thread(proc.wait, 30)
        except subprocess.TimeoutExpired:
            proc.kill()
        await fake.close()
        await server.stop()
    cpu = float(stats.read_text()) if stats.exists() else float("nan")
    if args.profile:
        summarise_profile(Path(args.profile) / f"{mode}.txt")
    return latencies, cpu, own_cpu


def summarise_profile(path: Path, top: int = 40) -> None:
    """Top functions of a py-spy collapsed-stack file by own ("self") and total samples."""
    own: dict[str, int] = {}
    total: dict[str, int] = {}
    samples = 0
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n, frames = int(count), stack.split(";")
        samples += n
        own[frames[-1]] = own.get(frames[-1], 0) + n
        for frame in set(frames):
            total[frame] = total.get(frame, 0) + n
    lines = [f"{samples} samples"]
    for title, table in (("own", own), ("total", total)):
        lines.append(f"\n-- by {title} time")
        for frame, n in sorted(table.items(), key=lambda kv: -kv[1])[:top]:
            lines.append(f"{n / max(samples, 1) * 100:6.1f}%  {frame}")
    path.with_suffix(".top.txt").write_text("\n".join(lines) + "\n")


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


def report(name: str, samples: list[float], cpu: float, own_cpu: float) -> None:
    p50, p99 = percentile(samples, 50), percentile(samples, 99)
    verdict = "met" if p50 <= 15 and p99 <= 60 else "NOT met"
    print(
        f"  {name:<8} n={len(samples):>5}  p50 {p50:6.1f}  p90 {percentile(samples, 90):6.1f}  "
        f"p99 {p99:6.1f}  max {max(samples):6.1f}  mean {statistics.fmean(samples):6.1f} ms"
        f"  goal {verdict}\n  {'':<8} CPU per message: bot {cpu:.2f} ms, fake Telegram + load {own_cpu:.2f} ms"
    )


async def main(args: argparse.Namespace) -> None:
    print(
        f"telegram_bench: {args.chats} chats at once, {args.messages} messages each, pause "
        f"{args.think[0]:g}-{args.think[1]:g} s{' (first message in one burst)' if args.burst else ''}, "
        f"core={args.core}; update → first sendMessage (goal p50 ≤ 15 ms, p99 ≤ 60 ms)"
    )
    with tempfile.TemporaryDirectory(prefix="ketnoi-tgbench-") as tmp:
        for mode in args.modes:
            report(mode, *await measure(mode, args, Path(tmp)))
    print(f"  load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=200)
    parser.add_argument("--messages", type=int, default=5)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0), metavar=("MIN", "MAX"))
    parser.add_argument("--burst", action="store_true")
    parser.add_argument("--core", choices=["echo", "real"], default="echo")
    parser.add_argument("--modes", nargs="+", default=["polling", "webhook"])
    parser.add_argument("--profile", metavar="DIR", help="sample the bot process with py-spy")
    # internal: the bot process
    parser.add_argument("--role", choices=["polling", "webhook"], help=argparse.SUPPRESS)
    parser.add_argument("--api", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    parser.add_argument("--stats", help=argparse.SUPPRESS)
    return parser.parse_args()


if __name__ == "__main__":
    arguments = parse()
    if arguments.role:
        run_bot(arguments)
    else:
        run_async(main(arguments))
