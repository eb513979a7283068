"""Fake Zalo servers for tests, benchmarks and demos (127.0.0.1, no network, no real token).

`FakeZaloBot` speaks the Bot Platform's wire format (`/bot<TOKEN>/<method>`, the `{"ok": ...}`
envelope, ONE update per getUpdates call and `{"ok": false, "error_code": 408}` when idle, a bad
token answered with HTTP 200 and ok=false) and can inject 401/403/429/500 answers.

The OA's fake is in `tests.bot.fake_zalo_oa`.

Standalone demo: python -m tests.bot.fake_zalo_demo --help
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

BOT_TOKEN = "12345689:abc-xyz"
BOT_NAME = "KetNoiBot"
MAX_TEXT = 2000


@dataclass
class Call:
    method: str
    params: dict[str, Any]
    status: int = 200
    error: int = 0  # the OA's error code
    at: float = field(default_factory=time.perf_counter)

    @property
    def chat_id(self) -> str:
        return str(self.params.get("chat_id", ""))


@dataclass
class Failure:
    method: str
    status: int  # HTTP status or error_code for the Bot Platform; the OA's error code
    target: str | None = None
    times: int = 1


class _Waiting:
    """Calls recorded, and waiting until a condition on them holds (a safety bound only)."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self.failures: list[Failure] = []
        self._changed: asyncio.Condition | None = None
        self.on_call: Callable[[Call], None] | None = None  # e.g. a benchmark's reply watcher

    @property
    def changed(self) -> asyncio.Condition:
        if self._changed is None:
            self._changed = asyncio.Condition()
        return self._changed

    async def notify(self) -> None:
        async with self.changed:
            self.changed.notify_all()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.changed:
            while not predicate():
                if loop.time() > deadline:
                    raise TimeoutError("condition not reached")
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.changed.wait(), 0.02)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def fail(self, method: str, status: int, target: str | None = None, times: int = 1) -> None:
        self.failures.append(Failure(method, status, target, times))

    def take_failure(self, method: str, target: str) -> Failure | None:
        for failure in self.failures:
            if failure.method == method and failure.target in (None, target):
                failure.times -= 1
                if failure.times <= 0:
                    self.failures.remove(failure)
                return failure
        return None

    def record(self, call: Call) -> None:
        self.calls.append(call)
        if self.on_call is not None:
            self.on_call(call)


class FakeZaloBot(_Waiting):
    def __init__(self, token: str = BOT_TOKEN, echo: bool = False) -> None:
        super().__init__()
        self.token = token
        self.echo = echo
        self.pending: list[dict[str, Any]] = []
        self.webhook_url = ""
        self.closing = False
        self._ids = itertools.count(1)
        self.url = ""
        self.app = Starlette(routes=[
            Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
            Route("/_fake/say", self._say, methods=["POST"]),
        ])

    # --- test side -----------------------------------------------------------------------------
    def message(self, chat: str, text: str | None = "", *, event: str = "message.text.received",
                user: str | None = None, group: bool = False, is_bot: bool = False,
                name: str = "Lan", **extra: Any) -> dict[str, Any]:
        message: dict[str, Any] = {
            "message_id": f"{next(self._ids):08x}{secrets.token_hex(4)}",
            "from": {"id": user or chat, "display_name": name, "is_bot": is_bot},
            "chat": {"id": chat, "chat_type": "GROUP" if group else "PRIVATE"},
            "date": int(time.time() * 1000), **extra,
        }
        if text is not None:
            message["text"] = text
        return {"event_name": event, "message": message}

    async def push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue an update for getUpdates (pushing one twice redelivers it)."""
        self.pending.append(update)
        await self.notify()
        return update

    def sent(self, chat: str | None = None) -> list[Call]:
        return [c for c in self.calls if c.method in ("sendMessage", "sendPhoto")
                and c.status == 200 and (chat is None or c.chat_id == str(chat))]

    def texts(self, chat: str) -> list[str]:
        return [str(c.params.get("text") or c.params.get("caption") or "") for c in self.sent(chat)]

    async def wait_sent(self, chat: str, count: int = 1) -> list[str]:
        await self.wait_for(lambda: len(self.sent(chat)) >= count)
        return self.texts(chat)

    async def close(self) -> None:
        self.closing = True
        await self.notify()

    # --- the API -------------------------------------------------------------------------------
    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await _params(request)
        call = Call(method, params)
        if request.path_params["token"] != self.token:
            call.status = 401
            self.record(call)
            return _bot_error(401, "Unauthorized", http=200)  # a bad token: HTTP 200, ok=false
        failure = self.take_failure(method, call.chat_id)
        if failure is not None:
            call.status = failure.status
            response = _bot_error(failure.status, f"injected {failure.status}")
        else:
            response = await self._answer(method, params, call)
        self.record(call)
        if self.echo:
            _echo(call)
        await self.notify()
        return response

    async def _answer(self, method: str, params: dict[str, Any], call: Call) -> JSONResponse:
        if method == "getUpdates":
            update = await self._next_update(params)
            if update is None:
                call.status = 408
                return _bot_error(408, "Request timeout", http=200)
            return _ok(update)
        if method in ("sendMessage", "sendPhoto"):
            text = str(params.get("text" if method == "sendMessage" else "caption") or "")
            if not params.get("chat_id") or len(text) > MAX_TEXT or (
                    method == "sendMessage" and not text) or (
                    method == "sendPhoto" and not params.get("photo")):
                call.status = 400
                return _bot_error(400, "Bad Request")
            return _ok({"message_id": secrets.token_hex(8), "date": int(time.time() * 1000)})
        return self._admin(method, params, call)

    def _admin(self, method: str, params: dict[str, Any], call: Call) -> JSONResponse:
        if method == "getMe":
            return _ok({"id": "b0t1d", "account_name": BOT_NAME, "account_type": "BASIC",
                        "can_join_groups": True})
        if method == "sendChatAction":
            return _ok(True)
        if method == "setWebhook":
            url, secret = str(params.get("url") or ""), str(params.get("secret_token") or "")
            if not url.startswith("https://") or not 8 <= len(secret) <= 256:
                call.status = 400
                return _bot_error(400, "Bad Request: url must be HTTPS and secret 8-256 chars")
            self.webhook_url = url
            return _ok({"url": url, "updated_at": int(time.time() * 1000)})
        if method == "deleteWebhook":
            self.webhook_url = ""
            return _ok({"url": "", "updated_at": int(time.time() * 1000)})
        if method == "getWebhookInfo":
            return _ok({"url": self.webhook_url, "updated_at": int(time.time() * 1000)})
        call.status = 404
        return _bot_error(404, "Not Found")

    async def _next_update(self, params: dict[str, Any]) -> dict[str, Any] | None:
        timeout = min(float(params.get("timeout") or 0), 10.0)
        if not self.pending and timeout > 0 and not self.closing:
            with contextlib.suppress(TimeoutError):
                async with self.changed:
                    await asyncio.wait_for(
                        self.changed.wait_for(lambda: bool(self.pending) or self.closing), timeout)
        return self.pending.pop(0) if self.pending else None  # ONE update per call

    async def _say(self, request: Request) -> JSONResponse:
        body = await request.json()
        return JSONResponse(await self.push(self.message(str(body.get("chat_id", "c42")),
                                                         body["text"])))


def _echo(call: Call) -> None:
    if call.method in ("sendMessage", "sendPhoto") and call.status == 200:
        print(f"\n→ chat {call.chat_id}:\n{call.params.get('text') or call.params.get('photo')}",
              flush=True)
        return
    print(json.dumps({"method": call.method, "status": call.status, "params": call.params},
                     ensure_ascii=False), flush=True)


async def _params(request: Request) -> dict[str, Any]:
    raw = await request.body()
    params: dict[str, Any] = dict(request.query_params)
    if raw and request.headers.get("content-type", "").startswith("application/json"):
        params.update(json.loads(raw))
    elif raw:
        params.update(parse_qsl(raw.decode("utf-8"), keep_blank_values=True))
    return params


def _ok(result: Any) -> JSONResponse:
    return JSONResponse({"ok": True, "result": result})


def _bot_error(code: int, description: str, http: int | None = None) -> JSONResponse:
    return JSONResponse({"ok": False, "error_code": code, "description": description},
                        status_code=http or code)
