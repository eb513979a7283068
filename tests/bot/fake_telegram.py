"""A fake Telegram Bot API server for tests, benchmarks and demos (no network, no token).

It speaks the real wire format (`/bot<TOKEN>/<method>`, form-urlencoded or JSON bodies, the
`{"ok": ...}` envelope), records every call with its decoded parameters, serves queued updates to
long-polling `getUpdates`, and can inject 429/403/500 answers.

Standalone demo: python -m tests.bot.fake_telegram_demo --port 8081 --say "xin chào"
then:             KETNOI_TELEGRAM_TOKEN=123:abc KETNOI_TELEGRAM_API_URL=http://127.0.0.1:8081 ketnoi run telegram
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

TOKEN = "123:abc"
BOT_USER = {"id": 123, "is_bot": True, "first_name": "Kết Nối", "username": "ketnoi_test_bot"}
JSON_PARAMS = {"reply_markup", "allowed_updates", "commands", "entities", "link_preview_options"}
ERRORS = {
    400: "Bad Request: can't parse reply keyboard markup JSON object",
    403: "Forbidden: bot was blocked by the user",
    409: "Conflict: terminated by other getUpdates request",
    429: "Too Many Requests: retry after {retry_after}",
    500: "Internal Server Error",
    502: "Bad Gateway",
}


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    at: float = field(default_factory=time.perf_counter)

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))


@dataclass
class Failure:
    method: str
    status: int
    retry_after: int | None = None
    chat_id: str | None = None
    times: int = 1


@dataclass
class RateLimits:
    """Telegram's flood control as the fake enforces it on sendMessage: at most `overall`
    messages in any second and one message per `chat_interval` seconds to a chat; beyond that
    the answer is 429 with retry_after, and the message is not delivered."""

    overall: int = 30
    chat_interval: float = 1.0
    retry_after: int = 1
    accepted: deque[float] = field(default_factory=deque)
    last_to_chat: dict[str, float] = field(default_factory=dict)
    refused: int = 0

    def refuse(self, chat_id: str) -> bool:
        now = time.monotonic()
        while self.accepted and self.accepted[0] <= now - 1.0:
            self.accepted.popleft()
        last = self.last_to_chat.get(chat_id)
        if len(self.accepted) >= self.overall or (
                last is not None and now - last < self.chat_interval):
            self.refused += 1
            return True
        self.accepted.append(now)
        self.last_to_chat[chat_id] = now
        return False


def user(user_id: int, name: str = "Lan") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "vi"}


class FakeTelegram:
    def __init__(self, token: str = TOKEN, echo: bool = False, first_update_id: int = 1000) -> None:
        self.token = token
        self.echo = echo  # print every call (standalone mode)
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self.pending: list[Any] = []
        self.queued_at: dict[int, float] = {}  # update_id → perf_counter when queued
        self._ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self._changed: asyncio.Condition | None = None
        self.closing = False
        self.on_call: Callable[[Call], None] | None = None  # e.g. a benchmark's reply watcher
        self.limits: RateLimits | None = None  # flood control, off unless a test sets it
        self.blocked_chats: set[str] = set()  # chats that answer 403 to every message
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/_fake/say", self._say, methods=["POST"]),
                Route("/_fake/calls", self._calls, methods=["GET"]),
            ]
        )

    # ------------------------------------------------------------ test-side helpers

    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def _notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    def next_update_id(self) -> int:
        return next(self._ids)

    async def push(self, update: Any) -> Any:
        """Queue an update for getUpdates (as is: pushing one twice redelivers it).

        Anything JSON goes, so tests can also send what Telegram never would."""
        self.pending.append(update)
        if isinstance(update, dict) and isinstance(update.get("update_id"), int):
            self.queued_at.setdefault(update["update_id"], time.perf_counter())
        await self._notify()
        return update

    def message(self, chat_id: int, text: str | None = None, **extra: Any) -> dict[str, Any]:
        """A private-chat message update; /commands get their bot_command entity."""
        msg: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private", "first_name": "Lan"},
            "from": user(chat_id),
            **extra,
        }
        if text is not None:
            msg["text"] = text
            if text.startswith("/"):
                length = len(text.split(" ", 1)[0])
                msg["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"update_id": self.next_update_id(), "message": msg}

    def contact(self, chat_id: int, phone: str) -> dict[str, Any]:
        contact = {"phone_number": phone, "first_name": "Lan", "user_id": chat_id}
        return self.message(chat_id, contact=contact)

    def callback(self, chat_id: int, label: str) -> dict[str, Any]:
        """Press the inline button labelled `label` on the latest message sent to `chat_id`."""
        for call in reversed(self.sent(chat_id)):
            markup = call.params.get("reply_markup") or {}
            for row in markup.get("inline_keyboard", []):
                for button in row:
                    if button["text"] == label:
                        return self._callback(chat_id, call, button["callback_data"])
        raise LookupError(f"no button {label!r} sent to chat {chat_id}")

    def _callback(self, chat_id: int, call: Call, data: str) -> dict[str, Any]:
        message = {
            "message_id": call.params.get("_message_id", 1),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private"},
            "from": BOT_USER,
            "text": call.params.get("text", ""),
            "reply_markup": call.params.get("reply_markup"),
        }
        query = {
            "id": str(self.next_update_id()),
            "from": user(chat_id),
            "chat_instance": f"ci{chat_id}",
            "data": data,
            "message": message,
        }
        return {"update_id": self.next_update_id(), "callback_query": query}

    def fail(
        self,
        method: str,
        status: int,
        *,
        retry_after: int | None = None,
        chat_id: int | None = None,
        times: int = 1,
    ) -> None:
        self.failures.append(
            Failure(method, status, retry_after, None if chat_id is None else str(chat_id), times)
        )

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[Call]:
        """Successful sendMessage calls (to one chat when given)."""
        return [
            c
            for c in self.calls_to("sendMessage")
            if c.status == 200 and (chat_id is None or c.chat_id == str(chat_id))
        ]

    def files(self, method: str, chat_id: int | str | None = None) -> list[Call]:
        """Successful sendPhoto / sendDocument calls; `params[field]` is an `Upload`."""
        return [c for c in self.calls_to(method)
                if c.status == 200 and (chat_id is None or c.chat_id == str(chat_id))]

    def texts(self, chat_id: int | str) -> list[str]:
        return [c.params["text"] for c in self.sent(chat_id)]

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        """Wait until `predicate()` holds (a safety bound, not a speed assertion).

        Woken by every API call, and re-checked every 20 ms for state outside the fake
        (what the core recorded, for instance).
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.changed:
            while not predicate():
                if loop.time() > deadline:
                    raise TimeoutError("condition not reached")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.02)

    async def wait_sent(self, chat_id: int, count: int = 1) -> list[str]:
        await self.wait_for(lambda: len(self.sent(chat_id)) >= count)
        return self.texts(chat_id)

    # ------------------------------------------------------------ the Bot API

    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await _params(request)
        if request.path_params["token"] != self.token:
            return _error(401, "Unauthorized")
        call = Call(method, params)
        self.calls.append(call)
        failure = self._take_failure(method, call.chat_id)
        if failure is None and method == "sendMessage":
            failure = self._flood_or_block(call.chat_id)
        if failure is not None:
            call.status = failure.status
            response = _failure_response(failure)
        else:
            response = await self._answer(method, params, call)
        if self.on_call is not None:
            self.on_call(call)
        if self.echo:
            _echo(call)
        await self._notify()
        return response

    def _flood_or_block(self, chat_id: str) -> Failure | None:
        if chat_id in self.blocked_chats:
            return Failure("sendMessage", 403)
        if self.limits is not None and self.limits.refuse(chat_id):
            return Failure("sendMessage", 429, retry_after=self.limits.retry_after)
        return None

    def delivered(self) -> dict[str, int]:
        """How many messages each chat received (successful sendMessage calls)."""
        out: dict[str, int] = {}
        for call in self.sent():
            out[call.chat_id] = out.get(call.chat_id, 0) + 1
        return out

    def _take_failure(self, method: str, chat_id: str) -> Failure | None:
        for failure in self.failures:
            if failure.method == method and failure.chat_id in (None, chat_id):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    async def _answer(self, method: str, params: dict[str, Any], call: Call) -> JSONResponse:
        if method == "getUpdates":
            return _ok(await self._get_updates(params))
        if method == "sendMessage":
            return _ok(self._sent_message(params))
        if method in ("sendPhoto", "sendDocument"):
            return _ok(self._sent_file(method, params))
        if method == "getMe":
            return _ok(BOT_USER)
        if method == "getWebhookInfo":
            return _ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        if method in {
            "deleteWebhook",
            "setWebhook",
            "setMyCommands",
            "answerCallbackQuery",
            "close",
            "logOut",
        }:
            return _ok(True)
        call.status = 404
        return _error(404, "Not Found: method not found")

    async def _get_updates(self, params: dict[str, Any]) -> list[Any]:
        timeout = min(float(params.get("timeout", 0) or 0), 10.0)
        if not self.pending and timeout > 0 and not self.closing:
            try:
                async with self.changed:
                    await asyncio.wait_for(
                        self.changed.wait_for(lambda: bool(self.pending) or self.closing), timeout
                    )
            except TimeoutError:
                pass
        served, self.pending = self.pending, []
        return served

    def _sent_message(self, params: dict[str, Any]) -> dict[str, Any]:
        message_id = next(self._message_ids)
        params["_message_id"] = message_id
        message: dict[str, Any] = {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": {"id": int(params["chat_id"]), "type": "private"},
            "from": BOT_USER,
            "text": params.get("text", ""),
        }
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        return message

    def _sent_file(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        message = self._sent_message(params)
        field_name = "photo" if method == "sendPhoto" else "document"
        upload = params.get(field_name)
        file_id = f"file{message['message_id']}"
        if not isinstance(upload, Upload) and not str(upload or "").startswith("http"):
            raise ValueError(f"{method} without a file")
        if method == "sendPhoto":
            message["photo"] = [{"file_id": file_id, "file_unique_id": file_id, "width": 1600,
                                 "height": 1000}]
        else:
            name = upload.filename if isinstance(upload, Upload) else "file"
            message["document"] = {"file_id": file_id, "file_unique_id": file_id,
                                   "file_name": name}
        return message

    # ------------------------------------------------------------ control endpoints (demo)

    async def _say(self, request: Request) -> JSONResponse:
        body = await request.json()
        update = await self.push(self.message(int(body.get("chat_id", 42)), body["text"]))
        return JSONResponse(update)

    async def _calls(self, _request: Request) -> JSONResponse:
        return JSONResponse([
            {"method": c.method, "status": c.status, "params": _printable(c.params)}
            for c in self.calls])

    async def close(self) -> None:
        self.closing = True
        await self._notify()


def _echo(call: Call) -> None:
    """Standalone mode: bot replies as a chat transcript, other calls as JSON lines."""
    if call.method == "sendMessage" and call.status == 200:
        markup = call.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard") or markup.get("keyboard") or []
        buttons = " ".join(f"[{b['text']}]" for row in rows for b in row)
        print(f"\n→ chat {call.chat_id}:\n{call.params.get('text', '')}", flush=True)
        if buttons:
            print(f"   {buttons}", flush=True)
        return
    line = {"method": call.method, "status": call.status, "params": _printable(call.params)}
    print(json.dumps(line, ensure_ascii=False), flush=True)


@dataclass(frozen=True)
class Upload:
    """A file sent with multipart/form-data (sendPhoto, sendDocument)."""

    filename: str
    data: bytes
    content_type: str


def _printable(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters for JSON output: an uploaded file as its name and size."""
    return {k: f"<{v.filename}, {len(v.data)} bytes>" if isinstance(v, Upload) else v
            for k, v in params.items()}


async def _params(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = dict(request.query_params)
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        return params | await _multipart(request)
    raw = await request.body()
    if not raw:
        return params
    if request.headers.get("content-type", "").startswith("application/json"):
        params.update(json.loads(raw))
        return params
    for key, value in parse_qsl(raw.decode("utf-8"), keep_blank_values=True):
        params[key] = json.loads(value) if key in JSON_PARAMS else value
    return params


async def _multipart(request: Request) -> dict[str, Any]:
    params: dict[str, Any] = {}
    form = await request.form()
    for key, value in form.multi_items():
        if isinstance(value, str):
            params[key] = json.loads(value) if key in JSON_PARAMS else value
        else:
            params[key] = Upload(value.filename or "", await value.read(),
                                 value.content_type or "")
    # PTB sends the file as an attach://name field, referenced by the parameter.
    for key, value in list(params.items()):
        if isinstance(value, str) and value.startswith("attach://"):
            params[key] = params.pop(value.removeprefix("attach://"), value)
    return params


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _error(status: int, description: str, **parameters: Any) -> JSONResponse:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return JSONResponse(body, status_code=status)


def _failure_response(failure: Failure) -> JSONResponse:
    text = ERRORS.get(failure.status, "Error").format(retry_after=failure.retry_after)
    if failure.retry_after is not None:
        return _error(failure.status, text, retry_after=failure.retry_after)
    return _error(failure.status, text)
