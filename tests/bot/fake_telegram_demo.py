"""Run the fake Telegram Bot API on its own, to watch a real bot talk to it.

    python -m tests.bot.fake_telegram_demo --port 8081 --interactive
    KETNOI_TELEGRAM_TOKEN=123:abc KETNOI_TELEGRAM_API_URL=http://127.0.0.1:8081 ketnoi run telegram

Type messages; "#N" presses button N of the bot's last message; "+84..." shares a phone number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import time

from tests.bot.fake_telegram import FakeTelegram
from tests.bot.telegram.server import BackgroundServer


async def _type_messages(fake: FakeTelegram, chat_id: int) -> None:
    """Each stdin line is a user message; "#N" presses button N of the bot's last message."""
    while line := (await asyncio.to_thread(sys.stdin.readline)):
        text = line.strip()
        if not text:
            continue
        if text.startswith("#") and text[1:].isdigit():
            labels = _labels(fake, chat_id)
            index = int(text[1:]) - 1
            if 0 <= index < len(labels):
                await fake.push(fake.callback(chat_id, labels[index]))
                continue
        if text.startswith("+") and text[1:].isdigit():  # "+84912345678" shares a contact
            await fake.push(fake.contact(chat_id, text))
            continue
        await fake.push(fake.message(chat_id, text))


def _labels(fake: FakeTelegram, chat_id: int) -> list[str]:
    for call in reversed(fake.sent(chat_id)):
        rows = (call.params.get("reply_markup") or {}).get("inline_keyboard")
        if rows:
            return [button["text"] for row in rows for button in row]
    return []


async def _main(port: int, say: list[str], chat_id: int, interactive: bool) -> None:
    # Real update ids only grow; starting from the clock keeps a bot's exactly-once records from
    # an earlier demo run from swallowing this run's messages.
    fake = FakeTelegram(echo=True, first_update_id=int(time.time()))
    server = BackgroundServer(fake.app, port)
    url = await server.start()
    print(f"fake Telegram Bot API on {url} (token {fake.token})", flush=True)
    for text in say:
        await fake.push(fake.message(chat_id, text))
    try:
        if interactive:
            print("type messages; #N presses button N; +84... shares a phone", flush=True)
            await _type_messages(fake, chat_id)
        else:
            await asyncio.Event().wait()
    finally:
        await fake.close()
        await server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Telegram Bot API for local demos")
    parser.add_argument("--port", type=int, default=8081)
    parser.add_argument("--say", action="append", default=[], help="queue a user message")
    parser.add_argument("--chat", type=int, default=42, help="chat id of the user")
    parser.add_argument("--interactive", action="store_true", help="read user messages from stdin")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_main(args.port, args.say, args.chat, args.interactive))


if __name__ == "__main__":
    main()
