"""A fake Telegram Bot API server for tests, benchmarks and demos (no network, no token).

It speaks the real wire format (`/bot<TOKEN>/<method>`, form-urlencoded or JSON bodies, the
`{"ok": ...}` envelope), records every call with its decoded parameters, serves queued updates to
long-polling `getUpdates`, and can inject 429/403/500 answers. The wire format lives in
`fake_telegram_wire`, the record of calls and the flood control in `fake_telegram_records`; their
public names are importable from here.

Standalone demo: python -m tests.bot.fake_telegram_demo --port 8081 --say "xin chào"
then:             KETNOI_TELEGRAM_TOKEN=123:abc KETNOI_TELEGRAM_API_URL=http://127.0.0.1:8081 ketnoi run telegram
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.bot.fake_telegram_records import Call, RateLimits, Recording
from tests.bot.fake_telegram_wire import (
    Failure,
    Upload,
    error,
    failure_response,
    ok,
    params_of,
    printable,
)

__all__ = ["BOT_USER", "TOKEN", "Call", "Failure", "FakeTelegram", "RateLimits", "Upload", "user"]

TOKEN = "123:abc"
BOT_USER = {"id": 123, "is_bot": True, "first_name": "Kết Nối", "username": "ketnoi_test_bot"}


def user(user_id: int, name: str = "Lan") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": name, "language_code": "vi"}


class FakeTelegram(Recording):
    def __init__(self, token: str = TOKEN, echo: bool = False, first_update_id: int = 1000) -> None:
        super().__init__()
        self.token = token
        self.echo = echo  # print every call (standalone mode)
        self.failures: list[Failure] = []
        self.pending: list[Any] = []
        self.queued_at: dict[int, float] = {}  # update_id → perf_counter when queued
        self._ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self.closing = False
        self.on_call: Callable[[Call], None] | None = None  # e.g. a benchmark's reply watcher
        self.limits: RateLimits | None = None  # flood control, off unless a test sets it
        self.blocked_chats: set[str] = set()  # chats that answer 403 to every message
        # As Telegram does: an update served by getUpdates stays pending until a later call's
        # offset confirms it (off by default: served updates are dropped at once).
        self.confirm_by_offset = False
        self.app = Starlette(
            routes=[
                Route("/bot{token}/{method}", self._api, methods=["GET", "POST"]),
                Route("/_fake/say", self._say, methods=["POST"]),
                Route("/_fake/calls", self._calls, methods=["GET"]),
            ]
        )

    # ------------------------------------------------------------ test-side helpers

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

    # ------------------------------------------------------------ the Bot API

    async def _api(self, request: Request) -> JSONResponse:
        method = request.path_params["method"]
        params = await params_of(request)
        if request.path_params["token"] != self.token:
            return error(401, "Unauthorized")
        call = Call(method, params)
        self.calls.append(call)
        failure = self._take_failure(method, call.chat_id)
        if failure is None and method == "sendMessage":
            failure = self._flood_or_block(call.chat_id)
        if failure is not None:
            call.status = failure.status
            response = failure_response(failure)
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
            return ok(await self._get_updates(params))
        if method == "sendMessage":
            return ok(self._sent_message(params))
        if method in ("sendPhoto", "sendDocument"):
            return ok(self._sent_file(method, params))
        if method == "getMe":
            return ok(BOT_USER)
        if method == "getWebhookInfo":
            return ok({"url": "", "has_custom_certificate": False, "pending_update_count": 0})
        if method in {
            "deleteWebhook",
            "setWebhook",
            "setMyCommands",
            "answerCallbackQuery",
            "close",
            "logOut",
        }:
            return ok(True)
        call.status = 404
        return error(404, "Not Found: method not found")

    async def _get_updates(self, params: dict[str, Any]) -> list[Any]:
        timeout = min(float(params.get("timeout", 0) or 0), 10.0)
        if self.confirm_by_offset:
            offset = int(params.get("offset", 0) or 0)
            self.pending = [u for u in self.pending
                            if not (isinstance(u, dict) and isinstance(u.get("update_id"), int)
                                    and u["update_id"] < offset)]
        if not self.pending and timeout > 0 and not self.closing:
            try:
                async with self.changed:
                    await asyncio.wait_for(
                        self.changed.wait_for(lambda: bool(self.pending) or self.closing), timeout
                    )
            except TimeoutError:
                pass
        if self.confirm_by_offset:
            return list(self.pending)
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
            {"method": c.method, "status": c.status, "params": printable(c.params)}
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
    line = {"method": call.method, "status": call.status, "params": printable(call.params)}
    print(json.dumps(line, ensure_ascii=False), flush=True)


