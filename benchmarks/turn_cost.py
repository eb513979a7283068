"""CPU and SQL statements per message of `App.answer`, one message at a time (no waiting on others).

Runs the scripted dialogues of `dialogue_bench` through the real core (NLU, handlers, storage, the
outbox) on a seeded database, `--users` users one after another, each message answered and its
replies recorded as sent as a channel does (the sending itself is not measured here: see
`load_test.py` for the whole path). Prints the process CPU per message and, for a SQLAlchemy
database, the statements and transactions per message; `--profile N` prints the N functions
with the most own and cumulative CPU (cProfile).

    .venv/bin/python benchmarks/turn_cost.py [--database sqlite|URL] [--users 40] [--profile 30]

`--database URL` (PostgreSQL) is a database the benchmark may wipe.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import itertools
import pstats
import sys
import tempfile
import time
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import event  # noqa: E402

from benchmarks.common import fresh_database  # noqa: E402
from benchmarks.dialogue_bench import SCRIPTS, delivered, next_incoming  # noqa: E402
from bot.app import APOLOGY, App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.types import Outgoing  # noqa: E402
from storage.db import Database  # noqa: E402

UPDATE_IDS = itertools.count(1)


class Writes:
    """Counts socket writes: here only to the database, so about its round trips."""

    def __init__(self) -> None:
        from asyncio import selector_events

        self.count = 0
        transport: Any = selector_events._SelectorSocketTransport
        original = transport.write

        def write(this: Any, data: Any) -> None:
            self.count += 1
            original(this, data)

        transport.write = write


class Statements:
    """Counts the statements SQLAlchemy sends (by their first words) and the commits."""

    def __init__(self, db: Database) -> None:
        self.kinds: Counter[str] = Counter()
        self.commits = self.resets = 0
        for engine in {db.engine, db.write_engine}:
            event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
            event.listen(engine.sync_engine, "commit", self._commit)
            event.listen(engine.sync_engine.pool, "reset", self._reset)

    def _statement(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.split()
        head = " ".join(words[:3]) if words[:1] == ["INSERT"] else " ".join(words[:2])
        self.kinds[head[:60]] += 1

    def _commit(self, _conn: Any) -> None:
        self.commits += 1

    def _reset(self, _conn: Any, _record: Any, _state: Any = None) -> None:
        self.resets += 1  # a connection back in the pool: rolled back (a round trip if in use)

    def total(self) -> int:
        return sum(self.kinds.values())


async def talk(app: App, index: int) -> int:
    user = f"user{index}"
    last: list[Outgoing] = []
    errors = 0
    for step in SCRIPTS[index % len(SCRIPTS)]:
        incoming = replace(next_incoming(user, step, last), update_id=next(UPDATE_IDS))
        last = await app.answer(incoming, delivered)
        errors += any(r.text == APOLOGY for r in last)
    return errors


async def run(args: argparse.Namespace) -> None:
    with tempfile.TemporaryDirectory(prefix="ketnoi-turns-") as tmp:
        url = await fresh_database(args.database, Path(tmp), "turns.db")
        app = await App.create(Settings(database_url=url))
        for n in range(len(SCRIPTS)):  # warm-up: the model, the search index, every handler
            await talk(app, 10_000 + n)
        counted, writes = Statements(app.services.db), Writes()
        messages = sum(len(SCRIPTS[i % len(SCRIPTS)]) for i in range(args.users))
        profiler = cProfile.Profile(time.process_time) if args.profile else None  # CPU, not wall
        started, cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        errors = 0
        for index in range(args.users):
            errors += await talk(app, index)
        if profiler:
            profiler.disable()
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        await app.close()
    print(f"turn_cost: {app.services.db.dialect}, {args.users} users one after another, "
          f"{messages} messages, {errors} apologies")
    print(f"  CPU {cpu / messages * 1000:.2f} ms per message, wall {elapsed / messages * 1000:.2f}"
          f" ms per message{' (profiled)' if profiler else ''}")
    if counted.total():
        print(f"  SQL: {counted.total() / messages:.1f} statements and "
              f"{counted.commits / messages:.2f} commits per message; "
              f"{counted.resets / messages:.2f} connections taken from the pool")
        print(f"  {writes.count / messages:.1f} writes to the database's socket per message")
        for kind, n in counted.kinds.most_common(args.kinds):
            print(f"    {n / messages:5.2f}  {kind}")
    if profiler:
        for order in ("tottime", "cumulative"):
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats(order).print_stats(args.profile)
            print(out.getvalue())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", default="sqlite",
                        help="sqlite (a temporary file) or a PostgreSQL URL it may wipe")
    parser.add_argument("--users", type=int, default=40)
    parser.add_argument("--kinds", type=int, default=25, help="statement kinds listed")
    parser.add_argument("--profile", type=int, default=0, metavar="N",
                        help="print the N functions with the most CPU (cProfile)")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
