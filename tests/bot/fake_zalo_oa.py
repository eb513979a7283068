"""A fake Zalo Official Account API for tests, benchmarks and demos (127.0.0.1, no network).

`FakeZaloOA` answers `POST /v3.0/oa/message/cs` (header `access_token`; HTTP 200 with `error != 0`
on refusal, with injectable codes; -230 for followers in `outside_window`), the promotion endpoint
`POST /v3.0/oa/message/promotion` (a `promotion` template; refused with -234 outside 06:00-21:59
Vietnam time and -211 for a second one to a follower the same day, by its `clock`), and the OAuth
v4 endpoint `/v4/oa/access_token`, which rotates
the refresh token on every refresh and refuses a reused one (-14020), and checks PKCE on a code.
It also builds and signs the webhook events an OA receives.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import itertools
import json
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl
from zoneinfo import ZoneInfo

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from tests.bot.fake_zalo import MAX_TEXT, Call, _Waiting

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
OA_APP_ID = "4424878354763274341"
OA_SECRET_KEY = "oa-webhook-secret-key"
APP_SECRET = "app-secret-1qFDWGD94k"


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
        self.outside_window: set[str] = set()  # no interaction for 7 days: cs is refused
        self.clock: Callable[[], datetime] = lambda: datetime.now(UTC)
        self._promoted: dict[str, set[str]] = {}  # follower → Vietnam dates of promotions
        self.app = Starlette(routes=[
            Route("/v3.0/oa/message/cs", self._cs, methods=["POST"]),
            Route("/v3.0/oa/message/promotion", self._promotion, methods=["POST"]),
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
        elif user in self.outside_window:
            call.error, message = -230, "User has not interacted with the OA in the last 7 days"
        elif not user or not text or len(text) > MAX_TEXT:
            call.error, message = -201, "Parameters are invalid"
        else:
            message = "Success"
        self.record(call)
        if self.echo and call.error == 0:
            buttons = body.get("message", {}).get("attachment", {}).get("payload", {})
            titles = " ".join(f"[{b.get('title')}]" for b in buttons.get("buttons", []))
            print(f"\n→ OA user {user}:\n{text}" + (f"\n   {titles}" if titles else ""), flush=True)
        await self.notify()
        if call.error:
            return JSONResponse({"error": call.error, "message": message})
        data = {"message_id": secrets.token_hex(8), "user_id": user, "quota": None}
        return JSONResponse({"data": data, "error": 0, "message": "Success"})

    def promotions(self, user: str | None = None) -> list[Call]:
        """Promotion messages accepted (to one follower when given)."""
        return [c for c in self.calls_to("promotion") if c.error == 0
                and (user is None or c.params["recipient"]["user_id"] == user)]

    async def _promotion(self, request: Request) -> JSONResponse:
        body = await request.json()
        call = Call("promotion", body | {"_token": request.headers.get("access_token", "")})
        user = str(body.get("recipient", {}).get("user_id", ""))
        local = self.clock().astimezone(VIETNAM)
        today = self._promoted.setdefault(user, set())
        if call.params["_token"] not in self.valid_access:
            call.error, message = -216, "Access token is invalid"
        elif not _promotion_template(body.get("message", {})):
            call.error, message = -201, "Parameters are invalid"
        elif not 6 <= local.hour < 22:
            call.error, message = -234, "Cannot send promotion messages from 22:00 to 06:00"
        elif local.date().isoformat() in today:
            call.error, message = -211, "Out of quota: one promotion per user per day"
        else:
            today.add(local.date().isoformat())
            message = "Success"
        self.record(call)
        await self.notify()
        if call.error:
            return JSONResponse({"error": call.error, "message": message})
        return JSONResponse({"data": {"message_id": secrets.token_hex(8), "user_id": user},
                             "error": 0, "message": "Success"})

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


def _promotion_template(message: dict[str, Any]) -> bool:
    """A promotion template with a header and a text within their lengths."""
    payload = message.get("attachment", {}).get("payload", {})
    elements = payload.get("elements") or []
    kinds = {e.get("type"): str(e.get("content", "")) for e in elements}
    return (payload.get("template_type") == "promotion" and 0 < len(kinds.get("header", "")) <= 100
            and 0 < len(kinds.get("text", "")) <= MAX_TEXT)


def _oauth_error(code: int, description: str) -> JSONResponse:
    return JSONResponse({"error": code, "error_name": "oauth_error",
                         "error_description": description})
