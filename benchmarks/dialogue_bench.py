"""Message → reply latency of `App.handle` with many simulated users talking at once.

Each simulated user runs a scripted dialogue (a full find_technology demand with matching, an
events question, an expert demand, chit-chat and a misunderstanding) with a human-like pause
between messages; all users start together. Prints p50/p90/p99/max latency and throughput.
Goal on a 2-core machine: p50 ≤ 15 ms, p99 ≤ 60 ms with 200 users.

    python benchmarks/dialogue_bench.py [--users 200] [--think 1.0 3.0] [--burst]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import fresh_database, percentile  # noqa: E402
from bot.app import APOLOGY, App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.types import ContentKind, Incoming, Outgoing, SendResult  # noqa: E402

SCRIPTS: list[list[str]] = [
    ["cty minh o bac giang can cong nghe say vai thieu, kinh phi khoang 500 trieu",
     "Công ty TNHH Minh Phát", "0912345678", "@Đồng ý", "@Xác nhận", "@Quan tâm"],
    ["xin chào", "có sự kiện nào ở Hà Nội sắp tới không", "cảm ơn"],
    ["cần chuyên gia tư vấn xử lý nước thải trại lợn ở Đồng Nai", "@Bỏ qua", "@Bỏ qua",
     "HTX Chăn nuôi Xuân Lộc", "htx@xuanloc.vn", "@Đồng ý", "@Xác nhận"],
    ["/start", "@Tìm công nghệ", "can may dong goi gao tu dong", "quay lại", "hủy", "tạm biệt"],
    ["thời tiết hôm nay thế nào", "asdf qwer", "/menu", "😀"],
]


def next_incoming(user: str, step: str, last: list[Outgoing]) -> Incoming:
    """A text line, or "@label" to press the first button whose label contains it."""
    if step.startswith("@"):
        for reply in last:
            for button in reply.buttons:
                if step[1:].lower() in button.label.lower():
                    return Incoming("bench", user, user, text=button.label, payload=button.payload,
                                    kind=ContentKind.BUTTON)
        step = step[1:]  # no such button (dialogue went another way): type the label
    kind = ContentKind.COMMAND if step.startswith("/") else ContentKind.TEXT
    return Incoming("bench", user, user, text=step, kind=kind)


UPDATE_IDS = itertools.count(1)


async def delivered(replies: list[Outgoing]) -> list[SendResult]:
    """A channel that sends at once (the network is not what this benchmark measures)."""
    return [SendResult("sent") for _ in replies]


async def simulate_user(app: App, index: int, think: tuple[float, float], rng: random.Random,
                        latencies: list[float], errors: list[str],
                        by_step: dict[str, list[float]]) -> None:
    user = f"user{index}"
    script = SCRIPTS[index % len(SCRIPTS)]
    last: list[Outgoing] = []
    for step in script:
        await asyncio.sleep(rng.uniform(*think))
        incoming = replace(next_incoming(user, step, last), update_id=next(UPDATE_IDS))
        started = time.perf_counter()
        # As a channel does: the replies are committed with the turn, then sent and recorded.
        last = await app.answer(incoming, delivered)
        latencies.append((time.perf_counter() - started) * 1000)
        by_step.setdefault(step[:40], []).append(latencies[-1])
        if not last or any(r.text == APOLOGY for r in last):
            errors.append(f"{user}: {step!r}")


async def run(users: int, think: tuple[float, float], seed_value: int,
              details: bool = False) -> None:
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as tmp:
        url = await fresh_database("sqlite", Path(tmp))
        app = await App.create(Settings(database_url=url))
        # Warm-up: first search builds the catalog index, first parse loads the model.
        await app.handle(Incoming("bench", "warm", "warm", text=SCRIPTS[0][0]))
        async with app.services.db.session() as s:
            await app.services.search.technologies(s, "sấy vải thiều")
            await app.services.search.experts(s, "sấy vải thiều")
        rng = random.Random(seed_value)
        latencies: list[float] = []
        errors: list[str] = []
        by_step: dict[str, list[float]] = {}
        started, cpu = time.perf_counter(), time.process_time()
        await asyncio.gather(*(simulate_user(app, i, think, rng, latencies, errors, by_step)
                               for i in range(users)))
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        await app.close()
    report(users, think, latencies, errors, elapsed)
    print(f"  CPU of this process: {cpu / len(latencies) * 1000:.1f} ms per message")
    if details:
        for step, values in sorted(by_step.items(), key=lambda kv: -statistics.median(kv[1])):
            print(f"    {statistics.median(values):7.1f} ms median  {max(values):7.1f} max  {step}")


def report(users: int, think: tuple[float, float], latencies: list[float], errors: list[str],
           elapsed: float) -> None:
    print(f"dialogue_bench: {users} users at once, pause {think[0]:g}-{think[1]:g} s between "
          f"messages, {len(latencies)} messages in {elapsed:.1f} s "
          f"({len(latencies) / elapsed:.0f} msg/s)")
    print(f"  latency ms: p50 {percentile(latencies, 50):.1f}  p90 {percentile(latencies, 90):.1f}"
          f"  p99 {percentile(latencies, 99):.1f}  max {max(latencies):.1f}"
          f"  mean {statistics.fmean(latencies):.1f}")
    print(f"  goal p50 <= 15 ms, p99 <= 60 ms: "
          f"{'met' if percentile(latencies, 50) <= 15 and percentile(latencies, 99) <= 60 else 'NOT met'}")
    if errors:
        print(f"  {len(errors)} messages without a proper answer, e.g. {errors[:3]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=200)
    parser.add_argument("--think", type=float, nargs=2, default=(1.0, 3.0),
                        metavar=("MIN", "MAX"), help="pause between a user's messages (s)")
    parser.add_argument("--burst", action="store_true",
                        help="no pause: every user sends as fast as answers come (stress)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--details", action="store_true", help="latency per dialogue step")
    args = parser.parse_args()
    think = (0.0, 0.0) if args.burst else (args.think[0], args.think[1])
    asyncio.run(run(args.users, think, args.seed, args.details))


if __name__ == "__main__":
    main()
