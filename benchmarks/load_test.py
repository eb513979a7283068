"""Load test: simulated users hold multi-turn dialogues with real `ketnoi serve` processes.

Users arrive over `--arrival` seconds; each holds one dialogue (one of `load_dialogues`' varied
scripts: a technology demand with buttons and two quick messages in a row, events and an event
button, a news subscription by buttons), reading each reply for `--think` seconds, and waits for the replies the same dialogue
gave when run alone before the next step (up to `--patience` seconds). `load_driver` plays
the users and Telegram (the Bot API in a process of its own: `load_bot_api`; the webhook posts:
`load_webhook`); `load_report` checks each chat's replies (lost, duplicated, out of order,
resent at a restart) and prints the table.

    .venv/bin/python benchmarks/load_test.py [--chats 200 1000] [--setups sqlite:1 pg:1 pg:2 pg:4]
        [--postgres URL] [--kill] [--kill-every 4] [--kill-target worker|sender] [--redis URL]
        [--patience S] [--show N] [--logs DIR] [--log-level INFO] [--profile-driver FILE]

`--postgres` is a database the test may wipe (default: .../load_scale on the test server).
`--kill` SIGKILLs a random worker every `--kill-every` seconds once every worker serves (the
supervisor of `ketnoi serve --workers N` starts it again); setups with one process are skipped
then; `--kill-target sender` kills the reply sender process instead. `--logs DIR` keeps the
workers' logs (`--log-level INFO` for more) and the fake's record of
every call with the kills (`*.calls.jsonl`, wall-clock times) to trace a chat that went wrong.
CPU per message is the bot processes' user+system time during the load over the updates; "driver
ms" is the same for the driver and its fake Bot API (they share the machine with the bot, so
what they spend is CPU the bot waits for). `--profile-driver FILE` writes cProfile data of both
(FILE and FILE.fake) and prints the driver's top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import os
import pstats
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvloop

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    cpu_seconds,
    fresh_database,
    percentile,
    run_queue_seconds,
)
from benchmarks.load_dialogues import KINDS, SCRIPTS, steps_of  # noqa: E402
from benchmarks.load_driver import ChatRecord, Telegram, dialogue, killer  # noqa: E402
from benchmarks.load_report import (  # noqa: E402
    Findings,
    check,
    dump_calls,
    print_metrics,
    print_table,
    resent_replies,
    show,
)
from benchmarks.load_webhook import LeanWebhook  # noqa: E402
from tests.bot.telegram.serving import ServeProcess, free_port  # noqa: E402

DEFAULT_PG = os.environ.get("KETNOI_LOAD_POSTGRES_URL",
                            "postgresql+asyncpg://postgres@127.0.0.1:5432/load_scale")


def redis_env(url: str | None) -> dict[str, str]:
    if not url:
        return {}
    return {"KETNOI_REDIS_URL": url, "KETNOI_REDIS_PREFIX": f"load{os.getpid()}"}


# ------------------------------------------------------------------ databases and processes


def bot_pids(bot: ServeProcess) -> list[int]:
    """The processes doing the bot's work: the workers and their reply sender, or the one."""
    assert bot.process is not None
    if bot.workers == 1:
        return [bot.process.pid]
    sender = bot.sender_pid()
    return bot.worker_pids() + ([sender] if sender is not None else [])


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


@dataclass
class Load:
    """What the load itself gave: each chat's record, how long it took, the CPU it cost."""

    records: list[ChatRecord]
    elapsed: float
    bot_cpu: float  # seconds, all bot processes
    bot_waiting: float  # seconds the bot's threads were runnable but had no CPU
    driver_cpu: tuple[float, float]  # seconds: the users and webhook posts, the fake Bot API


async def run(setup: str, chats: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    kind, workers = setup.split(":")[0], int(setup.split(":")[1])
    url = await fresh_database("sqlite" if kind == "sqlite" else args.postgres, tmp,
                               f"load-{time.monotonic_ns()}.db")
    tg = Telegram(keep_calls=bool(args.logs),
                  profile=f"{args.profile_driver}.fake" if args.profile_driver else None)
    api_url = await tg.start()
    log = tmp / f"{setup.replace(':', '-')}-{chats}.log"
    env = {**redis_env(args.redis), "KETNOI_LOG_LEVEL": args.log_level}
    bot = ServeProcess(url, api_url, free_port(), workers=workers, log=log, env=env)
    kills: list[float] = []
    try:
        await bot.start()
        tg.hook = LeanWebhook([bot.url], connections=min(chats, 500))
        rng = random.Random(args.seed)
        reference = await reference_dialogues(tg, rng)
        stop = asyncio.Event()
        kill_task = (asyncio.create_task(killer(bot, args.kill_every, rng, stop, kills,
                                                args.kill_target))
                     if args.kill else None)
        measured = await load(tg, bot, setup, chats, args, reference, rng)
        stop.set()
        if kill_task is not None:
            await kill_task
        if args.metrics:
            await print_metrics(bot.url)
    finally:
        await bot.stop()
        await tg.close()
    if args.logs:
        dump_calls(tg, kills, log.with_suffix(".calls.jsonl"))
    return table_row(setup, chats, args, tg, kills, log, reference, measured)


async def reference_dialogues(tg: Telegram, rng: random.Random) -> dict[str, list[list[str]]]:
    """Each script once, in a chat of its own, every reply awaited: the replies each step
    should get (a few dozen chats at once, far from the load)."""
    records = await asyncio.gather(*(dialogue(tg, 500 + n, name, (0, 0), rng, 60, quiet=1.0)
                                     for n, name in enumerate(SCRIPTS)))
    return {name: record.windows for name, record in zip(SCRIPTS, records, strict=True)}


async def load(tg: Telegram, bot: ServeProcess, setup: str, chats: int,
               args: argparse.Namespace, reference: dict[str, list[list[str]]],
               arrivals: random.Random) -> Load:
    """The users arrive and hold their dialogues; the bot's and the driver's CPU meanwhile."""
    names = list(SCRIPTS)
    patience = args.patience or max(120.0, chats * 1.0)

    async def user(n: int) -> ChatRecord:
        await asyncio.sleep(arrivals.uniform(0, args.arrival))
        name = names[n % len(names)]
        return await dialogue(tg, 1_000_000 + n, name, tuple(args.think), random.Random(n),
                              patience, reference=reference[name])

    spies = profile(bot_pids(bot), args.profile, setup) if args.profile else []
    profiler = cProfile.Profile() if args.profile_driver else None
    bot_before = cpu_seconds(bot_pids(bot)), run_queue_seconds(bot_pids(bot))
    driver_before = (time.process_time(), cpu_seconds([tg.pid]))
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()
    records = await asyncio.gather(*(user(n) for n in range(chats)))
    elapsed = time.perf_counter() - started
    if profiler is not None:
        profiler.disable()
    measured = Load(records, elapsed, cpu_seconds(bot_pids(bot)) - bot_before[0],
                    run_queue_seconds(bot_pids(bot)) - bot_before[1],
                    (time.process_time() - driver_before[0],
                     cpu_seconds([tg.pid]) - driver_before[1]))
    if profiler is not None:
        profiler.dump_stats(args.profile_driver)
        pstats.Stats(profiler).sort_stats("tottime").print_stats(30)
    for spy in spies:
        spy.send_signal(signal.SIGINT)
        await asyncio.to_thread(spy.wait, 60)
    return measured


def table_row(setup: str, chats: int, args: argparse.Namespace, tg: Telegram,
              kills: list[float], log: Path, reference: dict[str, list[list[str]]],
              measured: Load) -> dict[str, Any]:
    """Each chat checked against its reference dialogue, and the figures of the table."""
    found = Findings(resent=resent_replies(log),
                     across_kill=sum(1 for first, second in tg.repeats
                                     if any(first - 0.5 <= k <= second for k in kills)))
    latencies: list[float] = []
    shown = 0
    for n, record in enumerate(measured.records):
        before = found.key()
        check(record, reference[record.scenario], found,
              tg.seen.get(str(1_000_000 + n), Counter()))
        if shown < args.show and before != found.key():
            shown += 1
            show(1_000_000 + n, record, reference[record.scenario])
        latencies += record.latencies
        found.updates += sum(len(s) for s in steps_of(SCRIPTS[record.scenario]))
    # the last reading is idle
    busy = max(measured.elapsed - 2.0 - statistics.fmean(args.think), 1e-9)
    per_message = 1000 / max(found.updates, 1)
    return {"setup": setup, "chats": chats, "updates": found.updates,
            "rate": found.updates / busy, "p50": percentile(latencies, 50),
            "p95": percentile(latencies, 95), "p99": percentile(latencies, 99),
            "found": found, "kills": len(kills), "retries": tg.hook.retries if tg.hook else 0,
            "cpu": measured.bot_cpu * per_message if not args.kill else float("nan"),
            "driver_cpu": [seconds * per_message for seconds in measured.driver_cpu],
            "bot_waiting": measured.bot_waiting * per_message if not args.kill else float("nan")}


async def main(args: argparse.Namespace) -> None:
    setups = [s for s in args.setups if not (args.kill and s.endswith(":1"))]
    print(f"load_test: {', '.join(setups)} × {args.chats} chats arriving over {args.arrival:g} s, "
          f"reading {args.think[0]:g}-{args.think[1]:g} s; dialogues: {len(SCRIPTS)} scripts of {', '.join(KINDS)}"
          + (f"; a {args.kill_target} SIGKILLed every {args.kill_every:g} s" if args.kill
             else ""))
    rows = []
    with tempfile.TemporaryDirectory(prefix="ketnoi-load-") as tmp:
        if args.logs:
            Path(args.logs).mkdir(parents=True, exist_ok=True)
        for chats in args.chats:
            for setup in setups:
                row = await run(setup, chats, args, Path(args.logs or tmp))
                rows.append(row)
                print_table([row]) if args.verbose else None
        print_table(rows)


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, nargs="+", default=[200, 1000])
    parser.add_argument("--setups", nargs="+", default=["sqlite:1", "pg:1", "pg:2", "pg:4"])
    parser.add_argument("--postgres", default=DEFAULT_PG)
    parser.add_argument("--arrival", type=float, default=10.0)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0))
    parser.add_argument("--kill", action="store_true")
    parser.add_argument("--kill-every", type=float, default=4.0)
    parser.add_argument("--kill-target", choices=("worker", "sender"), default="worker",
                        help="what --kill SIGKILLs: a random worker, or the reply sender "
                             "process (whose kill mid-send may repeat that one message)")
    parser.add_argument("--patience", type=float, default=0.0,
                        help="seconds a step waits for its replies (default: max(120, chats))")
    parser.add_argument("--redis", metavar="URL",
                        help="run the workers with KETNOI_REDIS_URL (the Redis chat lock)")
    parser.add_argument("--logs", metavar="DIR", help="keep the workers' logs in DIR")
    parser.add_argument("--log-level", default="WARNING", help="the workers' KETNOI_LOG_LEVEL")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true")
    parser.add_argument("--metrics", action="store_true", help="print the bot's /metrics view")
    parser.add_argument("--show", type=int, default=0, help="print N chats that went wrong")
    parser.add_argument("--profile", metavar="DIR", help="sample the bot with py-spy into DIR")
    parser.add_argument("--profile-driver", metavar="FILE",
                        help="cProfile the driver during the load into FILE (prints the top)")
    return parser.parse_args()


if __name__ == "__main__":
    uvloop.run(main(parse()))
