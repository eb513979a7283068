"""CPU per message of a chat handed to a person, against an ordinary message to the bot.

The dispatcher checks every message for a handoff before the NLU; this prints what that check
costs a chat that is not in one (a key lookup in the chat's state), and the CPU time per message
of: an ordinary message (NLU and a handler), a user's message relayed to staff, a staff member's
message relayed to the user. CPU time (time.process_time), so a loaded machine inflates it less.

    python benchmarks/handoff_bench.py [--messages 300]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.app import App  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.types import ContentKind, Incoming  # noqa: E402
from handlers.base import Context  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.models import User  # noqa: E402
from storage.repos import handoffs, staff  # noqa: E402
from storage.seed import seed  # noqa: E402
from storage.state import DialogueState  # noqa: E402


async def build(directory: Path) -> App:
    url = f"sqlite+aiosqlite:///{directory / 'bench.db'}"
    db = Database(url)
    await db.upgrade()
    async with db.transaction() as s:
        await seed(s)
        s.add(User(channel="telegram", external_id="u1", province="bac_ninh", phone="0912345678",
                   display_name="Nam"))
    await db.dispose()
    app = await App.create(Settings(database_url=url))
    await staff.add(app.services.db, "telegram", "950", point="Bắc Ninh", name="Lan")
    return app


async def cpu_per_message(app: App, chat: str, texts: list[str]) -> float:
    started = time.process_time()
    for i, text in enumerate(texts):
        await app.handle(Incoming("telegram", chat, chat, text=text, update_id=f"{chat}-{i}"))
    await app.flush()
    return (time.process_time() - started) / len(texts) * 1000


async def intercept_check_us(app: App, n: int = 50_000) -> float:
    """The intercepts' cost for a chat not in a handoff (microseconds per message)."""
    ctx = Context(Incoming("telegram", "x", "x", text="xin chao"), app.services, DialogueState(),
                  app.dispatcher, "xin chao")
    started = time.process_time()
    for _ in range(n):
        for intercept in app.dispatcher.intercepts:
            await intercept(ctx)
    return (time.process_time() - started) / n * 1e6


async def run(messages: int) -> None:
    with tempfile.TemporaryDirectory(prefix="ketnoi-bench-") as tmp:
        app = await build(Path(tmp))
        try:
            ordinary = ["có sự kiện nào ở Hà Nội sắp tới không", "cần máy sấy vải thiều",
                        "xin chào", "cảm ơn"]
            bot_ms = await cpu_per_message(app, "u2", (ordinary * messages)[:messages])
            await app.handle(Incoming("telegram", "u1", "u1", text="toi muon gap can bo"))
            [waiting] = await handoffs.waiting(app.services.db)
            hid = waiting.id
            await app.handle(Incoming("telegram", "950", "950", payload=f"hf:take:{hid}",
                                      kind=ContentKind.BUTTON))
            user_ms = await cpu_per_message(app, "u1", [f"tin {i}" for i in range(messages)])
            staff_ms = await cpu_per_message(app, "950", [f"trả lời {i}" for i in
                                                         range(messages)])
            check_us = await intercept_check_us(app)
        finally:
            await app.close()
    print(f"messages per case: {messages}")
    print(f"ordinary message (NLU + handler): {bot_ms:.2f} ms CPU")
    print(f"user message relayed to staff:    {user_ms:.2f} ms CPU")
    print(f"staff message relayed to user:    {staff_ms:.2f} ms CPU")
    print(f"handoff check, chat not in one:   {check_us:.2f} µs CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=300)
    args = parser.parse_args()
    asyncio.run(run(args.messages))


if __name__ == "__main__":
    main()
