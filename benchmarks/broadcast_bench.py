"""Broadcast through the outbox: 10,000 subscribers, a fake Bot API enforcing Telegram's limits.

This process plays Telegram (the fake Bot API allows `--ceiling` messages in any second and one
per second to a chat, answering 429 + retry_after beyond that) and starts a real `ketnoi worker`
process on a temporary SQLite database (or `--database-url`). Midway it SIGKILLs the worker and
starts a new one. Printed: outbox creation time for the rows, sustained msg/s before and after
the kill (against the ceiling; goal ≥ 97 % when the configured rate is the ceiling), 429s, time
from the kill to the next message delivered (and from the new process's start), the worker's
peak memory, and what the fake received: lost and duplicated messages.

    .venv/bin/python benchmarks/broadcast_bench.py [--subscribers 10000] [--ceiling 30]
        [--rate 30] [--kill-at 0.4] [--database-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from storage.db import Database  # noqa: E402
from storage.repos import outbox  # noqa: E402
from tests.bot.fake_telegram import TOKEN, FakeTelegram, RateLimits  # noqa: E402
from tests.bot.outbox.support import add_subscribers, broadcast  # noqa: E402
from tests.bot.telegram.server import BackgroundServer  # noqa: E402


def memory_kib(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in KiB, from /proc."""
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key = line.split(":", 1)[0]
            if key in values:
                values[key] = int(line.split()[1])
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


async def start_worker(args: argparse.Namespace, db_url: str, api_url: str
                       ) -> asyncio.subprocess.Process:
    env = {**os.environ, "KETNOI_DATABASE_URL": db_url, "KETNOI_TELEGRAM_TOKEN": TOKEN,
           "KETNOI_TELEGRAM_API_URL": api_url, "KETNOI_TELEGRAM_BROADCAST_RATE": str(args.rate),
           "KETNOI_SENDER_LEASE_SECONDS": "3", "KETNOI_JOBS_INTERVAL": "3600",
           "KETNOI_LOG_LEVEL": "WARNING"}
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot.cli", "worker", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL)


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def rate_between(times: list[float], first: int, last: int) -> float:
    """Messages per second delivered between the first-th and last-th delivery."""
    if last <= first:
        return 0.0
    return (last - first) / (times[last] - times[first])


async def wait_for_count(api: FakeTelegram, count: int, watch: asyncio.subprocess.Process,
                         peak: list[int], cpu: list[float]) -> None:
    while len(api.sent()) < count:
        peak[0] = max(peak[0], memory_kib(watch.pid)[1])
        cpu[0] = cpu_seconds(watch.pid)
        if watch.returncode is not None:
            raise RuntimeError(f"the worker exited with {watch.returncode}")
        await asyncio.sleep(0.2)


async def main(args: argparse.Namespace) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="ketnoi-broadcast-bench-"))
    db_url = args.database_url or f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    db = Database(db_url)
    await db.upgrade()
    api = FakeTelegram()
    api.limits = RateLimits(overall=args.ceiling)
    server = BackgroundServer(api.app)
    api_url = await server.start()
    n = args.subscribers
    chats = await add_subscribers(db, n)
    started = time.perf_counter()
    info = await broadcast(db)
    creation = time.perf_counter() - started
    print(f"subscribers: {n}; outbox rows written with the broadcast: {info.recipients} "
          f"in {creation:.2f} s ({info.recipients / creation:,.0f} rows/s)")

    print(f"machine: {os.cpu_count()} CPUs, load average {load_average()}")
    peak, cpu = [0], [0.0]
    first = await start_worker(args, db_url, api_url)
    kill_at = int(n * args.kill_at)
    await wait_for_count(api, kill_at, first, peak, cpu)
    first.send_signal(signal.SIGKILL)
    killed = time.perf_counter()
    await first.wait()
    before = [c.at for c in api.sent()]
    print(f"first worker: {len(before)} delivered, sustained "
          f"{rate_between(before, min(50, len(before) - 1), len(before) - 1):.2f} msg/s "
          f"(ceiling {args.ceiling}, configured {args.rate}); peak memory "
          f"{peak[0] / 1024:.1f} MiB; CPU {1000 * cpu[0] / max(1, len(before)):.1f} ms per "
          "message (start-up included); SIGKILLed")

    spawned = time.perf_counter()
    second = await start_worker(args, db_url, api_url)
    await wait_for_count(api, len(before) + 1, second, peak, cpu)
    resumed = time.perf_counter()
    print(f"resume: next message {resumed - killed:.2f} s after the kill "
          f"({resumed - spawned:.2f} s after the new process started)")
    while (await outbox.counts(db, info.id)).pending:
        peak[0] = max(peak[0], memory_kib(second.pid)[1])
        cpu[0] = cpu_seconds(second.pid)
        await asyncio.sleep(0.5)
    second_peak = memory_kib(second.pid)[1]
    second.send_signal(signal.SIGTERM)
    code = await second.wait()
    times = [c.at for c in api.sent()]
    after = len(before) + 50
    print(f"second worker: sustained {rate_between(times, after, len(times) - 1):.2f} msg/s; "
          f"peak memory {max(peak[0], second_peak) / 1024:.1f} MiB; SIGTERM exit code {code}")
    overall = rate_between(times, 0, len(times) - 1)
    delivered = api.delivered()
    lost = sum(1 for c in chats if c not in delivered)
    duplicated = sum(v - 1 for v in delivered.values())
    print(f"second worker CPU: {1000 * cpu[0] / max(1, len(times) - len(before)):.1f} ms per "
          f"message; load average now {load_average()}")
    print(f"whole run: {len(times)} delivered, {overall:.2f} msg/s including the restart; "
          f"429 answers: {api.limits.refused}; lost: {lost}; duplicated: {duplicated}")
    counts = await outbox.counts(db, info.id)
    print(f"outbox: sent {counts.sent}, failed {counts.failed}, skipped {counts.skipped}")
    await api.close()
    await server.stop()
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--ceiling", type=int, default=30, help="the fake's msg/s limit")
    parser.add_argument("--rate", type=float, default=30.0, help="the worker's configured rate")
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction sent before SIGKILL")
    parser.add_argument("--database-url")
    asyncio.run(main(parser.parse_args()))
