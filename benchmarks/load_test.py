"""Load test: simulated users hold multi-turn dialogues with real `ketnoi serve` processes.

This process plays Telegram: it serves the fake Bot API (tests/bot/fake_telegram.py), recording
every reply, and posts each user's updates to the bot's webhook (posting again, as Telegram
does, when a process does not answer 200). Users arrive over `--arrival` seconds; each holds one
dialogue (a technology demand with buttons and two quick messages in a row, events and an event
button, a news subscription by buttons), reading each reply for `--think` seconds. Every reply is
checked against the same dialogue run alone first: a step without its replies is lost, a reply
seen twice is a duplicate, replies of a chat in another order are out of order.

    .venv/bin/python benchmarks/load_test.py [--chats 200 1000] [--setups sqlite:1 pg:1 pg:2 pg:4]
        [--postgres URL] [--kill] [--kill-every 4]

`--postgres` is a database the test may wipe (default: .../load_scale on the test server).
`--kill` SIGKILLs a random worker every `--kill-every` seconds (the supervisor of
`ketnoi serve --workers N` starts it again); setups with one process are skipped then.
CPU per message is the bot processes' user+system time during the load over the updates.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from storage.db import Database  # noqa: E402
from tests.bot.fake_telegram import Call, FakeTelegram  # noqa: E402
from tests.bot.telegram.server import BackgroundServer  # noqa: E402
from tests.bot.telegram.serving import ServeProcess, Webhook, free_port  # noqa: E402

DEFAULT_PG = os.environ.get("KETNOI_LOAD_POSTGRES_URL",
                            "postgresql+asyncpg://postgres@127.0.0.1:5432/load_scale")
# "text": type it; "@label": press the button so labelled on the last reply (the first button
# when there is none with that label); "+text": typed right after the previous line (no reading).
SCENARIOS = {
    "demand": ["cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
               "Công ty TNHH Minh Phát", "+0912345678", "@Đồng ý", "@Xác nhận"],
    "events": ["xin chào", "co hoi thao nao ve che bien nong san khong", "@1", "cảm ơn em"],
    "subscription": ["dang ky nhan tin", "@Bảo quản sau thu hoạch", "@Toàn quốc",
                     "@Mọi loại sự kiện", "@Xác nhận"],
}
APOLOGY = "đang gặp sự cố"


def steps_of(lines: list[str]) -> list[list[str]]:
    """Lines grouped into steps: a "+" line joins the step before it."""
    steps: list[list[str]] = []
    for line in lines:
        if line.startswith("+") and steps:
            steps[-1].append(line[1:])
        else:
            steps.append([line])
    return steps


def same(texts: list[str]) -> list[str]:
    return [re.sub(r"\d+", "#", t) for t in texts]


@dataclass
class ChatRecord:
    scenario: str
    windows: list[list[str]] = field(default_factory=list)  # replies per step
    latencies: list[float] = field(default_factory=list)  # ms, step → its first reply
    failed_posts: int = 0


class Telegram:
    """The fake Bot API plus the webhook poster; replies recorded per chat with their time."""

    def __init__(self) -> None:
        self.api = FakeTelegram()
        self.server = BackgroundServer(self.api.app)
        self.replies: dict[str, list[tuple[float, str]]] = {}
        self.arrived: dict[str, asyncio.Event] = {}
        self.api.on_call = self._seen
        self.hook: Webhook | None = None

    async def start(self) -> str:
        return await self.server.start()

    def _seen(self, call: Call) -> None:
        if call.method in ("sendMessage", "sendPhoto", "sendDocument"):
            self.replies.setdefault(call.chat_id, []).append(
                (call.at, str(call.params.get("text") or call.params.get("caption") or "")))
            event = self.arrived.get(call.chat_id)
            if event is not None:
                event.set()

    def update_for(self, chat_id: int, line: str) -> dict[str, Any]:
        if not line.startswith("@"):
            return self.api.message(chat_id, line)
        label = line[1:]
        for call in reversed(self.api.sent(chat_id)):
            rows = (call.params.get("reply_markup") or {}).get("inline_keyboard", [])
            buttons = [b for row in rows for b in row]
            if buttons:
                chosen = next((b for b in buttons if b["text"] == label), buttons[0])
                return self.api._callback(chat_id, call, chosen["callback_data"])
        return self.api.message(chat_id, label)

    async def step(self, chat_id: int, lines: list[str], record: ChatRecord,
                   timeout: float, expect: int = 1) -> None:
        """Post the step's lines, then wait for its first reply (timed) and for `expect`
        replies in all (the user reads the question before answering it)."""
        assert self.hook is not None
        key = str(chat_id)
        event = self.arrived.setdefault(key, asyncio.Event())
        before = len(self.replies.get(key, []))
        event.clear()
        started = time.perf_counter()
        for line in lines:
            try:
                await self.hook.post(self.update_for(chat_id, line), deadline=timeout)
            except TimeoutError:
                record.failed_posts += 1
        timed = False
        try:
            async with asyncio.timeout(timeout):
                while len(self.replies.get(key, [])) < before + max(expect, 1):
                    if not timed and len(self.replies.get(key, [])) > before:
                        record.latencies.append((self.replies[key][before][0] - started) * 1000)
                        timed = True
                    await event.wait()
                    event.clear()
        except TimeoutError:
            pass
        if not timed and len(self.replies.get(key, [])) > before:
            record.latencies.append((self.replies[key][before][0] - started) * 1000)

    def window(self, chat_id: int, since: int) -> list[str]:
        return [t for _, t in self.replies.get(str(chat_id), [])[since:]]

    async def close(self) -> None:
        if self.hook is not None:
            await self.hook.close()
        await self.api.close()
        await self.server.stop()


async def dialogue(tg: Telegram, chat_id: int, scenario: str, think: tuple[float, float],
                   rng: random.Random, timeout: float, quiet: float = 0.0,
                   reference: list[list[str]] | None = None) -> ChatRecord:
    record = ChatRecord(scenario)
    for n, lines in enumerate(steps_of(SCENARIOS[scenario])):
        since = len(tg.replies.get(str(chat_id), []))
        await tg.step(chat_id, lines, record, timeout, len(reference[n]) if reference else 1)
        # reading the reply (the rest of a step's replies arrive meanwhile)
        await asyncio.sleep(quiet or rng.uniform(*think))
        if n == len(steps_of(SCENARIOS[scenario])) - 1 and not quiet:
            await asyncio.sleep(2.0)  # the last step's later replies
        record.windows.append(tg.window(chat_id, since))
    return record


@dataclass
class Findings:
    updates: int = 0
    lost: int = 0  # replies of the reference dialogue that never came
    duplicates: int = 0  # replies that came more often than in the reference
    out_of_order: int = 0  # chats whose replies came in another order
    errors: int = 0  # webhook posts never accepted, apologies for a failure
    differing: int = 0  # chats with a reply the reference does not have (content, not timing)


def check(record: ChatRecord, reference: list[list[str]], found: Findings) -> None:
    """Compare one chat's replies with the reference dialogue's, over the whole chat (a reply that
    comes late, in the next step's window, is late, not lost)."""
    found.errors += record.failed_posts
    got = [t for window in record.windows for t in window]
    found.errors += sum(1 for t in got if APOLOGY in t)
    got_n, want = same(got), [t for step in reference for t in same(step)]
    extra, missing = Counter(got_n) - Counter(want), Counter(want) - Counter(got_n)
    found.lost += sum(missing.values())
    found.duplicates += sum(n for t, n in extra.items() if t in want)
    if any(t not in want for t in extra):
        found.differing += 1
    budget, kept = Counter(want), []
    for t in got_n:  # each expected reply once, in the order it came
        if budget[t] > 0:
            kept.append(t)
            budget[t] -= 1
    if not missing and kept != want:
        found.out_of_order += 1


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))]


# ------------------------------------------------------------------ databases and processes


async def fresh_database(kind: str, pg_url: str, tmp: Path) -> str:
    if kind == "sqlite":
        path = tmp / f"load-{time.monotonic_ns()}.db"
        url = f"sqlite+aiosqlite:///{path}"
    else:
        url = pg_url
        engine = create_async_engine(url, isolation_level="AUTOCOMMIT")
        async with engine.connect() as conn:
            await conn.execute(text("DROP SCHEMA public CASCADE"))
            await conn.execute(text("CREATE SCHEMA public"))
        await engine.dispose()
    from storage.seed import seed

    db = Database(url)
    await db.upgrade()
    async with db.session() as s:
        await seed(s)
        await s.commit()
    await db.dispose()
    return url


def cpu_seconds(pids: list[int]) -> float:
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def bot_pids(bot: ServeProcess) -> list[int]:
    assert bot.process is not None
    return bot.worker_pids() if bot.workers > 1 else [bot.process.pid]


async def killer(bot: ServeProcess, every: float, rng: random.Random, stop: asyncio.Event,
                 kills: list[int]) -> None:
    while not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), every)
            return
        except TimeoutError:
            pass
        pids = bot.worker_pids()
        if pids:
            victim = rng.choice(pids)
            try:
                os.kill(victim, 9)
                kills.append(victim)
            except ProcessLookupError:
                pass


def profile(pids: list[int], folder: str, setup: str) -> list[subprocess.Popen[bytes]]:
    """py-spy (pip install py-spy) sampling each bot process during the load."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    return [subprocess.Popen([py_spy, "record", "--format", "raw", "--rate", "200",
                              "--nonblocking", "--pid", str(pid), "-o",
                              str(Path(folder) / f"{setup.replace(':', '-')}-{pid}.txt")],
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for pid in pids]


# ------------------------------------------------------------------ one run


async def run(setup: str, chats: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    kind, workers = setup.split(":")[0], int(setup.split(":")[1])
    url = await fresh_database(kind, args.postgres, tmp)
    tg = Telegram()
    api_url = await tg.start()
    bot = ServeProcess(url, api_url, free_port(), workers=workers, log=tmp / f"{setup}.log")
    kills: list[int] = []
    try:
        await bot.start()
        tg.hook = Webhook([bot.url], connections=min(chats, 500))
        names = list(SCENARIOS)
        rng = random.Random(args.seed)
        # the reference: each dialogue alone, every reply awaited
        reference: dict[str, list[list[str]]] = {}
        for n, name in enumerate(names):
            record = await dialogue(tg, 500 + n, name, (0, 0), rng, 60, quiet=1.0)
            reference[name] = record.windows
        stop = asyncio.Event()
        kill_task = (asyncio.create_task(killer(bot, args.kill_every, rng, stop, kills))
                     if args.kill else None)
        spies = profile(bot_pids(bot), args.profile, setup) if args.profile else []
        cpu_before = cpu_seconds(bot_pids(bot))
        started = time.perf_counter()

        async def user(n: int) -> ChatRecord:
            await asyncio.sleep(rng.uniform(0, args.arrival))
            name = names[n % len(names)]
            return await dialogue(tg, 1_000_000 + n, name, tuple(args.think), random.Random(n),
                                  90 if args.kill else 30, reference=reference[name])

        records = await asyncio.gather(*(user(n) for n in range(chats)))
        elapsed = time.perf_counter() - started
        cpu_after = cpu_seconds(bot_pids(bot))
        for spy in spies:
            spy.send_signal(signal.SIGINT)
            await asyncio.to_thread(spy.wait, 60)
        stop.set()
        if kill_task is not None:
            await kill_task
        if args.metrics:
            await print_metrics(bot.url)
    finally:
        await bot.stop()
        await tg.close()
    found = Findings()
    latencies: list[float] = []
    shown = 0
    for n, record in enumerate(records):
        before = (found.lost, found.duplicates, found.out_of_order, found.differing)
        check(record, reference[record.scenario], found)
        if shown < args.show and before != (found.lost, found.duplicates, found.out_of_order,
                                            found.differing):
            shown += 1
            print(f"-- chat {1_000_000 + n} ({record.scenario}): got / expected")
            for got, want in zip(record.windows, reference[record.scenario], strict=True):
                print(f"   {[t[:50] for t in got]}\n   {[t[:50] for t in want]}")
        latencies += record.latencies
        found.updates += sum(len(s) for s in steps_of(SCENARIOS[record.scenario]))
    busy = max(elapsed - 2.0 - statistics.fmean(args.think), 1e-9)  # the last reading is idle
    return {"setup": setup, "chats": chats, "updates": found.updates,
            "rate": found.updates / busy, "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
            "found": found, "kills": len(kills), "retries": tg.hook.retries if tg.hook else 0,
            "cpu": (cpu_after - cpu_before) / max(found.updates, 1) * 1000
            if not args.kill else float("nan")}


async def print_metrics(url: str) -> None:
    """The bot's own view (`/metrics`): how long the core took per update, by bucket."""
    import httpx
    from prometheus_client.parser import text_string_to_metric_families

    async with httpx.AsyncClient() as client:
        body = (await client.get(f"{url}/metrics")).text
    for family in text_string_to_metric_families(body):
        if family.name in ("ketnoi_reply_seconds", "ketnoi_nlu_parse_seconds"):
            buckets = [(s.labels["le"], s.value) for s in family.samples
                       if s.name.endswith("_bucket")]
            print(f"  {family.name}: " + ", ".join(f"≤{le}s {v:.0f}" for le, v in buckets))


def print_table(rows: list[dict[str, Any]], args: argparse.Namespace) -> None:
    head = (f"{'setup':<9}{'chats':>6}{'updates':>8}{'msg/s':>7}{'p50 ms':>8}{'p95 ms':>8}"
            f"{'p99 ms':>8}{'errors':>7}{'dup':>5}{'order':>6}{'lost':>5}{'differ':>7}"
            f"{'CPU ms/msg':>11}{'kills':>6}")
    print(head)
    print("-" * len(head))
    for r in rows:
        f: Findings = r["found"]
        print(f"{r['setup']:<9}{r['chats']:>6}{r['updates']:>8}{r['rate']:>7.1f}{r['p50']:>8.1f}"
              f"{r['p95']:>8.1f}{r['p99']:>8.1f}{f.errors:>7}{f.duplicates:>5}"
              f"{f.out_of_order:>6}{f.lost:>5}{f.differing:>7}{r['cpu']:>11.2f}{r['kills']:>6}")
    print(f"load average at the end: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          f"(the machine is shared: latencies include waiting for a CPU)")


async def main(args: argparse.Namespace) -> None:
    setups = [s for s in args.setups if not (args.kill and s.endswith(":1"))]
    print(f"load_test: {', '.join(setups)} × {args.chats} chats arriving over {args.arrival:g} s, "
          f"reading {args.think[0]:g}-{args.think[1]:g} s; dialogues: {', '.join(SCENARIOS)}"
          + (f"; a worker SIGKILLed every {args.kill_every:g} s" if args.kill else ""))
    rows = []
    with tempfile.TemporaryDirectory(prefix="ketnoi-load-") as tmp:
        for chats in args.chats:
            for setup in setups:
                row = await run(setup, chats, args, Path(tmp))
                rows.append(row)
                print_table([row], args) if args.verbose else None
        print_table(rows, args)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--setups", nargs="+", default=["sqlite:1", "pg:1", "pg:2", "pg:4"])
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--arrival", type=float, default=10.0)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0))
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--kill-every", type=float, default=4.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--metrics", action="store_true", help="print the bot's /metrics view")
    parser.add_argument("--show", type=int, default=0, help="print N chats that went wrong")
    parser.add_argument("--profile", metavar="DIR", help="sample the bot with py-spy into DIR")
    return parser.parse_args()


if __name__ == "__main__":
    asyncio.run(main(parse()))
