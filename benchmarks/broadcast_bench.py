"""Broadcast through the outbox: 10,000 subscribers, a fake Bot API enforcing Telegram's limits.

This process plays Telegram (the fake Bot API allows `--ceiling` messages in any second and one
per second to a chat, answering 429 + retry_after beyond that) and starts a real `ketnoi worker`
process on a temporary SQLite database (or `--database-url`). It SIGKILLs the worker `--kills`
times (at 40 %, 50 %, 60 % of the run) and starts a new one each time. Printed: outbox creation
time for the rows, sustained msg/s of the last worker (against the ceiling; goal ≥ 97 % when the
configured rate is the ceiling) and its CPU per message, 429s, time from each kill to the next
message delivered (and from the new process's start), the workers' peak memory, and what the
fake received: lost and duplicated messages, next to the rows reported "unknown" (killed during
their request: not sent again). Exits non-zero on a duplicate or an unreported loss.

    .venv/bin/python benchmarks/broadcast_bench.py [--subscribers 10000] [--ceiling 30]
        [--rate 30] [--kill-at 0.4] [--kills 3] [--database-url URL]
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
from tests.bot.fake_telegram import TOKEN, Call, FakeTelegram, RateLimits  # noqa: E402
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


class Delivered:
    """Counts the messages the fake accepted as they arrive (scanning its record of calls each
    time would hold up the fake's own answers, which the sender's pace depends on)."""

    def __init__(self, api: FakeTelegram) -> None:
        self.count = 0
        api.on_call = self.seen

    def seen(self, call: Call) -> None:
        if call.method == "sendMessage" and call.status == 200:
            self.count += 1


async def wait_for_count(delivered: Delivered, count: int, watch: asyncio.subprocess.Process,
                         peak: list[int], cpu: list[float]) -> None:
    while delivered.count < count:
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
    delivered = Delivered(api)
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
    killed_at: list[float] = []
    resumes: list[tuple[float, float]] = []
    for k in range(args.kills):  # SIGKILL at kill-at, then every further 10 %
        worker = await start_worker(args, db_url, api_url)
        spawned, first = time.perf_counter(), delivered.count
        if killed_at:
            await wait_for_count(delivered, delivered.count + 1, worker, peak, cpu)
            resumes.append((time.perf_counter() - killed_at[-1],
                            time.perf_counter() - spawned))
        await wait_for_count(delivered, int(n * (args.kill_at + 0.1 * k)), worker, peak, cpu)
        worker.send_signal(signal.SIGKILL)
        killed_at.append(time.perf_counter())
        await worker.wait()
        sent = [c.at for c in api.sent()]
        print(f"worker {k + 1}: {len(sent)} delivered so far; CPU "
              f"{1000 * cpu[0] / max(1, len(sent) - first):.1f} ms per message (start-up "
              "included); "
              "SIGKILLed")
    before = delivered.count
    last = await start_worker(args, db_url, api_url)
    spawned = time.perf_counter()
    await wait_for_count(delivered, before + 1, last, peak, cpu)
    if killed_at:
        resumes.append((time.perf_counter() - killed_at[-1], time.perf_counter() - spawned))
    for after_kill, after_start in resumes:
        print(f"resume: next message {after_kill:.2f} s after the kill "
              f"({after_start:.2f} s after the new process started)")
    cpu_start = cpu_seconds(last.pid)
    # The outbox is read only near the end: on SQLite the query runs on this loop, the fake's.
    await wait_for_count(delivered, n - 100 - 16 * args.kills, last, peak, cpu)
    while (await outbox.counts(db, info.id)).pending:
        peak[0] = max(peak[0], memory_kib(last.pid)[1])
        cpu[0] = cpu_seconds(last.pid)
        await asyncio.sleep(0.5)
    last_peak = memory_kib(last.pid)[1]
    last.send_signal(signal.SIGTERM)
    code = await last.wait()
    times = [c.at for c in api.sent()]
    after = before + 50
    steady = len(times) - 1 - after
    print(f"last worker: sustained {rate_between(times, after, len(times) - 1):.2f} msg/s over "
          f"{steady} messages (ceiling {args.ceiling}, configured {args.rate}); CPU "
          f"{1000 * (cpu[0] - cpu_start) / max(1, len(times) - before - 1):.1f} ms per message; "
          f"peak memory {max(peak[0], last_peak) / 1024:.1f} MiB; SIGTERM exit code {code}")
    overall = rate_between(times, 0, len(times) - 1)
    per_chat = api.delivered()
    lost = sum(1 for c in chats if c not in per_chat)
    duplicated = sum(v - 1 for v in per_chat.values())
    counts = await outbox.counts(db, info.id)
    print(f"whole run: {len(times)} delivered, {overall:.2f} msg/s including {args.kills} "
          f"restart(s); 429 answers: {api.limits.refused}; load average now {load_average()}")
    print(f"at the fake: lost {lost}, duplicated {duplicated}; outbox: sent {counts.sent}, "
          f"unknown {counts.unknown} (the sender was killed during their request), failed "
          f"{counts.failed}, skipped {counts.skipped}")
    if duplicated or lost > counts.unknown:
        raise SystemExit("a message was duplicated, or lost without being reported unknown")
    await api.close()
    await server.stop()
    await db.dispose()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--ceiling", type=int, default=30, help="the fake's msg/s limit")
    parser.add_argument("--rate", type=float, default=30.0, help="the worker's configured rate")
    parser.add_argument("--kill-at", type=float, default=0.4, help="fraction sent before SIGKILL")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs, 10 %% of the run apart")
    parser.add_argument("--database-url")
    asyncio.run(main(parser.parse_args()))
