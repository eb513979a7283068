"""sendMessage (and the Bot API calls that answer only ok) as one JSON POST over aiohttp.

PTB's `Bot.send_message` builds request objects, posts through its own request layer and turns
the answer into a `Message`; and httpx itself (which PTB uses) spends about 1 ms of CPU per
request, most of it httpcore scanning its pooled connections, several times what aiohttp spends.
Text replies, broadcasts and button answers go out several per update, so they go out here: the
caller needs only the message id and the error rules. Files and everything else still go
through PTB. The verdicts are those of `bot.telegram.outbox_sender.verdict` on PTB's errors
(429 → retry after the time Telegram asks, network errors, timeouts and 5xx → retry, 403 →
blocked, other errors → failed).
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.telegram.convert import Markup
from bot.types import SendResult

TIMEOUT = 10.0  # seconds for a whole request (PTB's defaults are 5 s per phase)


class TextSender:
    """POSTs to `<api>/bot<token>/<method>` over a pool of `connections`; never raises."""

    def __init__(self, method_url: str, connections: int = 8, timeout: float = TIMEOUT) -> None:
        self.api = method_url.rstrip("/")
        self.url = f"{self.api}/sendMessage"
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._session: aiohttp.ClientSession | None = None  # made in the loop that uses it
        self._proxy = env_proxy(self.api)

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._connections),
                timeout=self._timeout)
        return self._session

    async def _post(self, url: str, body: dict[str, Any]) -> tuple[int, Any]:
        """(HTTP status, the decoded answer: None when it is not JSON, a proxy's error page);
        raises aiohttp.ClientError or TimeoutError."""
        async with self._client().post(url, json=body, proxy=self._proxy) as response:
            raw = await response.read()
        try:
            return response.status, json.loads(raw)
        except ValueError:
            return response.status, None

    async def send(self, chat_id: str, text: str,
                   markup: Markup | dict[str, Any] | None) -> SendResult:
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            body["reply_markup"] = markup if isinstance(markup, dict) else markup.to_dict()
        try:
            status, answer = await self._post(self.url, body)
        except (aiohttp.ClientError, TimeoutError) as error:
            return SendResult("retry", reason=f"network: {error!r}"[:200])
        return text_verdict(status, answer if isinstance(answer, dict) else {})

    async def call(self, method: str, body: dict[str, Any]) -> bool:
        """Another Bot API method whose answer says only whether it worked."""
        try:
            status, answer = await self._post(f"{self.api}/{method}", body)
        except (aiohttp.ClientError, TimeoutError):
            return False
        return status == 200 and isinstance(answer, dict) and answer.get("ok") is True

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def env_proxy(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY, NO_PROXY...), as PTB and httpx
    honour it; read once (aiohttp's trust_env reads it, and ~/.netrc in a thread, per request)."""
    parts = urlsplit(url)
    if urllib.request.proxy_bypass(parts.hostname or ""):
        return None
    return urllib.request.getproxies().get(parts.scheme)


def text_verdict(status: int, answer: dict[str, Any]) -> SendResult:
    """What one sendMessage answer means for the outbox."""
    if answer.get("ok") is True and status == 200:
        result = answer.get("result") or {}
        return SendResult("sent", message_id=str(result.get("message_id", "")) or None)
    code = int(answer.get("error_code") or status)
    description = str(answer.get("description") or f"HTTP {status}")
    if code == 429:
        parameters = answer.get("parameters") or {}
        return SendResult("retry", retry_after=float(parameters.get("retry_after", 1)),
                          reason="rate limited (429)")
    if code == 403:
        return SendResult("blocked", reason="blocked")
    if code >= 500 or code == 0:
        return SendResult("retry", reason=f"network: {description}"[:200])
    return SendResult("failed", reason=description[:200])
