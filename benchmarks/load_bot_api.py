"""The load test's Telegram Bot API: a lean fake in a process of its own.

It answers what the bot calls (sendMessage, sendPhoto, sendDocument, answerCallbackQuery,
editMessage*, getMe, setWebhook, ...) as Telegram does, with the answers of
`tests/bot/fake_telegram.py`, but on a bare asyncio protocol with httptools instead of
Starlette, so that playing Telegram costs a small fraction of what the bot spends per message.
Every call is streamed to the driver as one JSON line on stdout, timed with `time.monotonic()`
(CLOCK_MONOTONIC, the same clock in every process of the machine):

    [at, method, chat_id, status, message_id, text, reply_markup, key]

`key` fingerprints the call's parameters (the same reply sent twice has the same key). The first
line is `{"port": N}`. The process ends when its stdin closes (the driver is gone) or on SIGTERM.

    python -m benchmarks.load_bot_api [--token 123:abc] [--profile FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import codecs
import cProfile
import hashlib
import itertools
import json
import signal
import socket
import sys
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any, cast

import httptools
import uvloop

from tests.bot.fake_telegram import BOT_USER, TOKEN
from tests.bot.fake_telegram_wire import JSON_PARAMS

SENDS = frozenset({"sendMessage", "sendPhoto", "sendDocument"})
EDITS = frozenset({"editMessageText", "editMessageReplyMarkup", "editMessageCaption"})
TRUE_METHODS = frozenset({"deleteWebhook", "setWebhook", "setMyCommands", "answerCallbackQuery",
                          "close", "logOut", "sendChatAction", "deleteMessage"})
FIRST_MESSAGE_ID = 1_000_000  # apart from the ids of the users' messages the driver makes up


class BotApi:
    """The answers, and the stream of calls to the driver."""

    def __init__(self, token: str, out: asyncio.WriteTransport) -> None:
        self.prefix = f"/bot{token}/".encode()
        self.out = out
        self.message_ids = itertools.count(FIRST_MESSAGE_ID)

    def answer(self, url: bytes, content_type: bytes, body: bytes) -> tuple[int, bytes]:
        at = time.monotonic()
        path, _, query = url.partition(b"?")
        if not path.startswith(self.prefix):
            return 401, _error(401, "Unauthorized")
        method = path[len(self.prefix):].decode()
        try:
            params = decode(query, content_type, body)
            status, result = self.result(method, params)
        except (ValueError, KeyError, TypeError) as error:  # as Telegram: 400, nothing sent
            self.record(at, method, {}, 400, None)
            return 400, _error(400, f"Bad Request: {error}")
        self.record(at, method, params, status, result)
        if status != 200:
            return status, _error(status, "Not Found: method not found")
        return 200, json.dumps({"ok": True, "result": result}, ensure_ascii=False).encode()

    def result(self, method: str, params: dict[str, Any]) -> tuple[int, Any]:
        if method in SENDS:
            return 200, self.message(method, params)
        if method in TRUE_METHODS:
            return 200, True
        if method in EDITS:
            return 200, self.edited(params)
        if method == "getMe":
            return 200, BOT_USER
        if method == "getWebhookInfo":
            return 200, {"url": "", "has_custom_certificate": False, "pending_update_count": 0}
        if method == "getUpdates":
            return 200, []
        return 404, None

    def message(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self.message_ids)
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"}, "from": BOT_USER}
        if method == "sendMessage":
            message["text"] = params.get("text", "")
        else:
            file_id = f"file{message_id}"
            if method == "sendPhoto":
                message["photo"] = [{"file_id": file_id, "file_unique_id": file_id,
                                     "width": 1600, "height": 1000}]
            else:
                message["document"] = {"file_id": file_id, "file_unique_id": file_id,
                                       "file_name": params.get("_filename") or "file"}
            if params.get("caption"):
                message["caption"] = params["caption"]
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def edited(self, params: dict[str, Any]) -> Any:
        if "inline_message_id" in params:
            return True  # Telegram answers True for messages sent via inline mode
        message: dict[str, Any] = {
            "message_id": int(params.get("message_id", 0)), "date": int(time.time()),
            "edit_date": int(time.time()),
            "chat": {"id": int(params.get("chat_id", 0)), "type": "private"}, "from": BOT_USER}
        if "text" in params:
            message["text"] = params["text"]
        if isinstance(params.get("reply_markup"), dict):
            message["reply_markup"] = params["reply_markup"]
        return message

    def record(self, at: float, method: str, params: dict[str, Any], status: int,
               result: Any) -> None:
        chat = str(params.get("chat_id", ""))
        if method in SENDS and status == 200:
            shown = {k: v for k, v in params.items() if not k.startswith("_")}
            key = hashlib.blake2b(json.dumps(shown, sort_keys=True, ensure_ascii=False,
                                             default=str).encode(), digest_size=8).hexdigest()
            line = [at, method, chat, status, result["message_id"],
                    str(params.get("text") or params.get("caption") or ""),
                    params.get("reply_markup"), key]
        else:
            line = [at, method, chat, status, None, None, None, None]
        self.out.write(json.dumps(line, ensure_ascii=False).encode() + b"\n")


def decode(query: bytes, content_type: bytes, body: bytes) -> dict[str, Any]:
    """The call's parameters, as PTB and httpx send them: a query string, a form, JSON or
    multipart/form-data (files: only their name is kept)."""
    params: dict[str, Any] = form(query) if query else {}
    if not body:
        return params
    if content_type.startswith(b"application/json"):
        params.update(json.loads(body))
        return params
    if content_type.startswith(b"multipart/form-data"):
        return params | _multipart(content_type, body)
    for key, value in form(body).items():
        params[key] = json.loads(value) if key in JSON_PARAMS else value
    return params


def form(raw: bytes) -> dict[str, str]:
    """An application/x-www-form-urlencoded body, decoded in C: `parse_qsl` unquotes each %XX
    in Python, a tenth of a millisecond per Vietnamese reply."""
    params: dict[str, str] = {}
    for pair in raw.split(b"&"):
        key, _, value = pair.partition(b"=")
        escaped = value.replace(b"\\", b"\\\\").replace(b"+", b" ").replace(b"%", b"\\x")
        params[key.decode()] = codecs.escape_decode(escaped)[0].decode()
    return params


def _multipart(content_type: bytes, body: bytes) -> dict[str, Any]:
    head = b"Content-Type: " + content_type + b"\r\n\r\n"
    form = BytesParser(policy=HTTP).parsebytes(head + body)
    params: dict[str, Any] = {}
    for part in form.iter_parts():
        name = part.get_param("name", header="content-disposition")
        filename = part.get_filename()
        value = part.get_payload(decode=True)
        if filename is not None:
            params[str(name)] = f"attach://{name}"
            params["_filename"] = filename
        else:
            text = value.decode() if isinstance(value, bytes) else ""
            params[str(name)] = json.loads(text) if name in JSON_PARAMS else text
    return params


def _error(status: int, description: str) -> bytes:
    return json.dumps({"ok": False, "error_code": status, "description": description}).encode()


REASONS = {200: b"OK", 400: b"Bad Request", 401: b"Unauthorized", 404: b"Not Found"}


class Connection(asyncio.Protocol):
    """One keep-alive HTTP/1.1 connection from a bot process."""

    def __init__(self, api: BotApi) -> None:
        self.api = api
        self.parser = httptools.HttpRequestParser(self)
        self.transport: asyncio.Transport | None = None
        self.url = b""
        self.content_type = b""
        self.body: list[bytes] = []

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = cast(asyncio.Transport, transport)  # uvloop's is not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            assert self.transport is not None
            self.transport.close()

    def on_message_begin(self) -> None:
        self.url, self.content_type, self.body = b"", b"", []

    def on_url(self, url: bytes) -> None:
        self.url += url

    def on_header(self, name: bytes, value: bytes) -> None:
        if name.lower() == b"content-type":
            self.content_type = value

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        status, payload = self.api.answer(self.url, self.content_type, b"".join(self.body))
        head = (b"HTTP/1.1 %d %s\r\ncontent-type: application/json\r\ncontent-length: %d\r\n"
                % (status, REASONS.get(status, b"Error"), len(payload)))
        keep = self.parser.should_keep_alive()
        assert self.transport is not None
        self.transport.write(head + (b"\r\n" if keep else b"connection: close\r\n\r\n")
                             + payload)
        if not keep:
            self.transport.close()


async def serve(token: str) -> None:
    loop = asyncio.get_running_loop()
    out, _ = await loop.connect_write_pipe(asyncio.Protocol, sys.stdout)
    api = BotApi(token, out)
    # IPPROTO_TCP: asyncio sets TCP_NODELAY only on sockets that say TCP (no delayed-ACK waits)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = await loop.create_server(lambda: Connection(api), sock=sock, backlog=1024)
    out.write(json.dumps({"port": sock.getsockname()[1]}).encode() + b"\n")
    done = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, done.set)
    stdin = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(stdin), sys.stdin)
    gone = asyncio.ensure_future(stdin.read())
    waiting = asyncio.ensure_future(done.wait())
    await asyncio.wait({gone, waiting}, return_when=asyncio.FIRST_COMPLETED)
    server.close()
    out.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--token", default=TOKEN)
    parser.add_argument("--profile", metavar="FILE", help="cProfile this process into FILE")
    args = parser.parse_args()
    profiler = cProfile.Profile() if args.profile else None
    if profiler is not None:
        profiler.enable()
    uvloop.run(serve(args.token))  # a third less CPU per call than asyncio's own loop
    if profiler is not None:
        profiler.disable()
        profiler.dump_stats(args.profile)


if __name__ == "__main__":
    main()
