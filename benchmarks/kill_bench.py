"""Kill points at a bigger budget than the test suite: a real bot process SIGKILLed at random
instants of demand dialogues, restarted each time, the platforms delivering again what was not
acknowledged. Prints the kill points tried and what was found.

  polling  (default): `ketnoi run telegram`, Telegram redelivering what no offset confirmed;
  webhooks: `ketnoi serve` with the Telegram and Zalo Bot webhooks, each update POSTed again
            until it is answered 200; on SQLite, or on PostgreSQL with --postgres URL.

    python benchmarks/kill_bench.py [--mode polling|webhooks] [--postgres URL] [--chats 40]
                                    [--kills 150] [--max-delay-ms 120] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.bot.fake_telegram import FakeTelegram  # noqa: E402
from tests.bot.fake_zalo import FakeZaloBot  # noqa: E402
from tests.bot.kill_serve import (  # noqa: E402
    ServeProcess,
    run_served_dialogues,
    seeded_postgres_database,
)
from tests.bot.telegram.kill import BotProcess, Findings, run_dialogues  # noqa: E402
from tests.bot.telegram.server import BackgroundServer  # noqa: E402
from tests.handlers.chat import copy_db  # noqa: E402


async def polling(args: argparse.Namespace, report: object) -> Findings:
    api = FakeTelegram()
    api.confirm_by_offset = True
    server = BackgroundServer(api.app)
    url = await server.start()
    db_path = Path(tempfile.mkdtemp(prefix="ketnoi-kill-")) / "ketnoi.db"
    copy_db(db_path)
    bot = BotProcess(db_path, url, api)
    await bot.start()
    try:
        return await run_dialogues(bot, db_path, args.chats, args.kills,
                                   random.Random(args.seed), args.max_delay_ms,
                                   report=report)  # type: ignore[arg-type]
    finally:
        await bot.stop()
        await api.close()
        await server.stop()


async def webhooks(args: argparse.Namespace, report: object) -> Findings:
    telegram, zalo = FakeTelegram(), FakeZaloBot()
    telegram_server, zalo_server = BackgroundServer(telegram.app), BackgroundServer(zalo.app)
    telegram_url = await telegram_server.start()
    zalo.url = await zalo_server.start()
    folder = Path(tempfile.mkdtemp(prefix="ketnoi-kill-"))
    async with contextlib.AsyncExitStack() as stack:
        if args.postgres:
            url = await stack.enter_async_context(seeded_postgres_database(args.postgres))
        else:
            url = copy_db(folder / "ketnoi.db")
        bot = ServeProcess(url, folder / "serve.log", telegram, telegram_url, zalo)
        await bot.start()
        try:
            return await run_served_dialogues(bot, url, args.chats, args.kills,
                                              random.Random(args.seed), args.max_delay_ms,
                                              report=report)  # type: ignore[arg-type]
        finally:
            await bot.stop()
            await telegram.close()
            await zalo.close()
            await telegram_server.stop()
            await zalo_server.stop()
    raise AssertionError("unreachable")


async def main(args: argparse.Namespace) -> None:
    started = time.perf_counter()
    report = print if args.verbose else print_nothing
    found = await (webhooks if args.mode == "webhooks" else polling)(args, report)
    where = "PostgreSQL" if args.postgres and args.mode == "webhooks" else "SQLite"
    print(f"{args.mode} on {where}: {found.summary()}")
    print(f"lost steps: {found.lost or 'none'}")
    print(f"took {time.perf_counter() - started:.0f} s")


def print_nothing(_: str) -> None:
    return None


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mode", choices=["polling", "webhooks"], default="polling")
    parser.add_argument("--postgres", metavar="URL", default="",
                        help="webhooks mode: a PostgreSQL server URL (a database is created)")
    parser.add_argument("--chats", type=int, default=40)
    parser.add_argument("--kills", type=int, default=150)
    parser.add_argument("--max-delay-ms", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--verbose", action="store_true", help="one line per kill")
    asyncio.run(main(parser.parse_args()))
