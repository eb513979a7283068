"""Fake Zalo servers for tests, benchmarks and demos (127.0.0.1, no network, no real token).

`FakeZaloBot` speaks the Bot Platform's wire format (`/bot<TOKEN>/<method>`, the `{"ok": ...}`
envelope, ONE update per getUpdates call and `{"ok": false, "error_code": 408}` when idle, a bad
token answered with HTTP 200 and ok=false) and can inject 401/403/429/500 answers.

`FakeZaloOA` answers `POST /v3.0/oa/message/cs` (header `access_token`; HTTP 200 with `error != 0`
on refusal, with injectable codes) and the OAuth v4 endpoint `/v4/oa/access_token`, which rotates
the refresh token on every refresh and refuses a reused one (-14020), and checks PKCE on a code.
It also builds and signs the webhook events an OA receives.

Standalone demo: python -m tests.bot.fake_zalo_demo --help
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
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
OA_APP_ID = "4424878354763274341"
OA_SECRET_KEY = "oa-webhook-secret-key"
APP_SECRET = "app-secret-1qFDWGD94k"
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


class FakeZaloOA(_Waiting):
    def __init__(self, app_id: str = OA_APP_ID, app_secret: str = APP_SECRET,
                 secret_key: str = OA_SECRET_KEY, echo: bool = False) -> None:
        super().__init__()
        self.app_id, self.app_secret, self.secret_key = app_id, app_secret, secret_key
        self.echo = echo
        self.valid_access: set[str] = set()
        self.refresh_token = ""
        self.spent_refresh: set[str] = set()
        self.codes: dict[str, str] = {}  # authorisation code → PKCE challenge
        self.refresh_delay = 0.0  # seconds the OAuth endpoint takes (to overlap two refreshes)
        self._ids = itertools.count(1)
        self.url = ""
        self.app = Starlette(routes=[
            Route("/v3.0/oa/message/cs", self._cs, methods=["POST"]),
            Route("/v4/oa/access_token", self._oauth, methods=["POST"]),
        ])

    # --- tokens --------------------------------------------------------------------------------
    def issue_pair(self) -> tuple[str, str]:
        """A pair as Zalo's API Explorer hands it out (the previous refresh token is spent)."""
        access, refresh = f"AT-{secrets.token_hex(12)}", f"RT-{secrets.token_hex(12)}"
        self.valid_access.add(access)
        if self.refresh_token:
            self.spent_refresh.add(self.refresh_token)
        self.refresh_token = refresh
        return access, refresh

    def expire_access(self) -> None:
        """Every access token issued so far stops working (-216)."""
        self.valid_access.clear()

    def issue_code(self, challenge: str) -> str:
        code = f"code-{secrets.token_hex(6)}"
        self.codes[code] = challenge
        return code

    def refresh_calls(self) -> list[Call]:
        return [c for c in self.calls_to("oauth") if c.params.get("grant_type") == "refresh_token"]

    # --- events --------------------------------------------------------------------------------
    def event(self, name: str, user: str, **fields: Any) -> dict[str, Any]:
        stamp = str(int(time.time() * 1000) + next(self._ids))
        base: dict[str, Any] = {"app_id": self.app_id, "event_name": name, "timestamp": stamp,
                                "user_id_by_app": f"app-{user}"}
        if name in ("follow", "unfollow"):
            base |= {"oa_id": "oa-1", "follower": {"id": user}, "source": "oa_profile"}
        elif name == "user_click_chatnow":
            base |= {"oa_id": "oa-1", "user_id": user}
        else:
            base |= {"sender": {"id": user}, "recipient": {"id": "oa-1"}}
        return base | fields

    def text(self, user: str, text: str, msg_id: str | None = None) -> dict[str, Any]:
        msg_id = msg_id or f"msg{next(self._ids):06d}{secrets.token_hex(3)}"
        return self.event("user_send_text", user, message={"text": text, "msg_id": msg_id})

    def signed(self, event: dict[str, Any] | bytes) -> tuple[bytes, dict[str, str]]:
        """The raw body and the X-ZEvent-Signature header Zalo would send with it."""
        body = event if isinstance(event, bytes) else json.dumps(event, ensure_ascii=False).encode()
        stamp = str(json.loads(body).get("timestamp", "")) if not isinstance(event, bytes) else ""
        return body, {"X-ZEvent-Signature": self.signature(body, stamp),
                      "Content-Type": "application/json"}

    def signature(self, body: bytes, timestamp: str) -> str:
        raw = self.app_id.encode() + body + timestamp.encode() + self.secret_key.encode()
        return "mac=" + hashlib.sha256(raw).hexdigest()

    # --- sent messages -------------------------------------------------------------------------
    def sent(self, user: str | None = None) -> list[Call]:
        return [c for c in self.calls_to("cs") if c.error == 0
                and (user is None or c.params["recipient"]["user_id"] == user)]

    def texts(self, user: str) -> list[str]:
        return [c.params["message"]["text"] for c in self.sent(user)]

    def buttons(self, user: str) -> list[dict[str, Any]]:
        """The query buttons of the last message sent to `user`."""
        message = self.sent(user)[-1].params["message"]
        return list(message.get("attachment", {}).get("payload", {}).get("buttons", []))

    async def wait_sent(self, user: str, count: int = 1) -> list[str]:
        await self.wait_for(lambda: len(self.sent(user)) >= count)
        return self.texts(user)

    # --- the API -------------------------------------------------------------------------------
    async def _cs(self, request: Request) -> JSONResponse:
        body = await request.json()
        token = request.headers.get("access_token", "")
        call = Call("cs", body | {"_token": token})
        user = str(body.get("recipient", {}).get("user_id", ""))
        text = str(body.get("message", {}).get("text", ""))
        failure = self.take_failure("cs", user)
        if token not in self.valid_access:
            call.error, message = -216, "Access token is invalid"
        elif failure is not None:
            call.error, message = failure.status, f"injected {failure.status}"
        elif not user or not text or len(text) > MAX_TEXT:
            call.error, message = -201, "Parameters are invalid"
        else:
            message = "Success"
        self.record(call)
        if self.echo and call.error == 0:
            print(f"\n→ OA user {user}:\n{text}", flush=True)
        await self.notify()
        if call.error:
            return JSONResponse({"error": call.error, "message": message})
        data = {"message_id": secrets.token_hex(8), "user_id": user, "quota": None}
        return JSONResponse({"data": data, "error": 0, "message": "Success"})

    async def _oauth(self, request: Request) -> JSONResponse:
        form = dict(parse_qsl((await request.body()).decode()))
        call = Call("oauth", form)
        self.record(call)
        if self.refresh_delay:
            await asyncio.sleep(self.refresh_delay)
        if request.headers.get("secret_key") != self.app_secret or form.get("app_id") != self.app_id:
            return _oauth_error(-14002, "invalid app secret or app id")
        if form.get("grant_type") == "refresh_token":
            token = form.get("refresh_token", "")
            if token in self.spent_refresh:
                return _oauth_error(-14020, "refresh token was used")
            if token != self.refresh_token:
                return _oauth_error(-14014, "invalid refresh token")
        elif form.get("grant_type") == "authorization_code":
            challenge = self.codes.pop(form.get("code", ""), None)
            verifier = form.get("code_verifier", "").encode()
            digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
            if challenge is None or digest.decode() != challenge:
                return _oauth_error(-14003, "invalid code or code verifier")
        else:
            return _oauth_error(-14001, "invalid grant type")
        access, refresh = self.issue_pair()
        await self.notify()
        return JSONResponse({"access_token": access, "refresh_token": refresh,
                             "expires_in": "90000"})


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


def _oauth_error(code: int, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_name": "oauth_error",
                         "error_description": description})
