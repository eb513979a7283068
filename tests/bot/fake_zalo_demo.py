"""Run the fake Zalo servers on their own, to watch a real bot talk to them.

Zalo Bot Platform (polling):

    python -m tests.bot.fake_zalo_demo bot --port 8082 --interactive
    KETNOI_ZALO_BOT_TOKEN=12345689:abc-xyz KETNOI_ZALO_BOT_API_URL=http://127.0.0.1:8082 \\
        ketnoi run zalo-bot

Zalo OA (webhook): the fake serves message/cs and OAuth, prints the token pair to store, then
posts each typed line to `ketnoi serve` as a signed `user_send_text` event:

    python -m tests.bot.fake_zalo_demo oa --port 8083 --serve http://127.0.0.1:8080 --interactive
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys

import httpx

from tests.bot.fake_zalo import FakeZaloBot
from tests.bot.fake_zalo_oa import APP_SECRET, OA_APP_ID, OA_SECRET_KEY, FakeZaloOA
from tests.bot.telegram.server import BackgroundServer


async def _lines() -> list[str]:
    line = await asyncio.to_thread(sys.stdin.readline)
    return [line] if line else []


async def run_bot(port: int, say: list[str], chat: str, interactive: bool) -> None:
    fake = FakeZaloBot(echo=True)
    server = BackgroundServer(fake.app, port)
    print(f"fake Zalo Bot Platform on {await server.start()} (token {fake.token})", flush=True)
    for text in say:
        await fake.push(fake.message(chat, text))
    try:
        if interactive:
            print("type messages (a number answers a numbered choice)", flush=True)
            while lines := await _lines():
                if lines[0].strip():
                    await fake.push(fake.message(chat, lines[0].strip()))
        else:
            await asyncio.Event().wait()
    finally:
        await fake.close()
        await server.stop()


async def run_oa(port: int, serve: str, say: list[str], user: str, interactive: bool) -> None:
    fake = FakeZaloOA(echo=True)
    server = BackgroundServer(fake.app, port)
    url = await server.start()
    access, refresh = fake.issue_pair()
    print(f"fake Zalo OA API and OAuth on {url}\n"
          f"  KETNOI_ZALO_OA_API_URL={url} KETNOI_ZALO_OAUTH_URL={url}\n"
          f"  KETNOI_ZALO_OA_APP_ID={OA_APP_ID} KETNOI_ZALO_OA_SECRET_KEY={OA_SECRET_KEY} "
          f"KETNOI_ZALO_APP_SECRET={APP_SECRET}\n"
          f"  ketnoi zalo-oa set-tokens {access} {refresh}", flush=True)
    async with httpx.AsyncClient(base_url=serve) as client:
        async def post(text: str) -> None:
            body, headers = fake.signed(fake.text(user, text))
            response = await client.post("/zalo-oa/webhook", content=body, headers=headers)
            print(f"← POST /zalo-oa/webhook user_send_text {text!r}: {response.status_code}",
                  flush=True)

        try:
            if say:
                await _wait_for_serve(client)
            for text in say:
                await post(text)
            if interactive:
                while lines := await _lines():
                    if lines[0].strip():
                        await post(lines[0].strip())
            await asyncio.Event().wait()
        finally:
            await server.stop()


async def _wait_for_serve(client: httpx.AsyncClient) -> None:
    """Post only once `ketnoi serve` answers /healthz (it may be started after this demo)."""
    while True:
        with contextlib.suppress(httpx.HTTPError):
            if (await client.get("/healthz")).status_code == 200:
                return
        await asyncio.sleep(0.5)


def main() -> None:
    parser = argparse.ArgumentParser(description="Fake Zalo servers for local demos")
    parser.add_argument("which", choices=["bot", "oa"])
    parser.add_argument("--port", type=int, default=8082)
    parser.add_argument("--say", action="append", default=[], help="a user message to send")
    parser.add_argument("--chat", default="demo-user-1", help="chat / user id")
    parser.add_argument("--serve", default="http://127.0.0.1:8080", help="ketnoi serve (oa)")
    parser.add_argument("--interactive", action="store_true", help="read user messages from stdin")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        if args.which == "bot":
            asyncio.run(run_bot(args.port, args.say, args.chat, args.interactive))
        else:
            asyncio.run(run_oa(args.port, args.serve, args.say, args.chat, args.interactive))


if __name__ == "__main__":
    main()
