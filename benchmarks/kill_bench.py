"""Kill points at a bigger budget than the test suite: a real `ketnoi run telegram` process
SIGKILLed at random instants of demand dialogues, restarted each time, Telegram redelivering what
it did not confirm. Prints the kill points tried and what was found.

    python benchmarks/kill_bench.py [--chats 40] [--kills 150] [--max-delay-ms 120] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bot.fake_telegram import FakeTelegram  # noqa: E402
from tests.bot.telegram.kill import BotProcess, run_dialogues  # noqa: E402
from tests.bot.telegram.server import BackgroundServer  # noqa: E402
from tests.handlers.chat import copy_db  # noqa: E402


async def main(args: argparse.Namespace) -> None:
    api = FakeTelegram()
    api.confirm_by_offset = True
    server = BackgroundServer(api.app)
    url = await server.start()
    db_path = Path(tempfile.mkdtemp(prefix="ketnoi-kill-")) / "ketnoi.db"
    copy_db(db_path)
    bot = BotProcess(db_path, url, api)
    started = time.perf_counter()
    await bot.start()
    try:
        found = await run_dialogues(bot, db_path, args.chats, args.kills, random.Random(args.seed),
                                    args.max_delay_ms, report=print if args.verbose else print_nothing)
    finally:
        await bot.stop()
        await api.close()
        await server.stop()
    print(found.summary())
    print(f"lost steps: {found.lost or 'none'}")
    print(f"took {time.perf_counter() - started:.0f} s")


def print_nothing(_: str) -> None:
    return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--kills", type=int, default=150)
    parser.add_argument("--max-delay-ms", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="one line per kill")
    asyncio.run(main(parser.parse_args()))
