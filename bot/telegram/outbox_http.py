"""sendMessage for the outbox sender straight over httpx: the hot path of every broadcast.

PTB's `Bot.send_message` builds request objects, posts through its own request layer and turns
the answer into a `Message`: about half of the sender's CPU per message. The outbox needs only
the message id and the error rules, so a text message (with its keyboard) goes out here as one
JSON POST; files and everything else still go through PTB. The verdicts are those of
`bot.telegram.outbox_sender.verdict` on PTB's errors (429 → retry after the time Telegram asks,
network errors and 5xx → retry, 403 → blocked, other errors → failed).
"""

from __future__ import annotations

from typing import Any

import httpx

from bot.telegram.convert import Markup
from bot.types import SendResult

TIMEOUT = httpx.Timeout(10.0)  # PTB's defaults are 5 s per phase; a broadcast can wait longer


class TextSender:
    """POSTs sendMessage to `<api>/bot<token>/sendMessage` over a pool of `connections`."""

    def __init__(self, method_url: str, connections: int = 8,
                 timeout: httpx.Timeout = TIMEOUT) -> None:
        self.api = method_url.rstrip("/")
        self.url = f"{self.api}/sendMessage"
        limits = httpx.Limits(max_connections=connections,
                              max_keepalive_connections=connections)
        self._client = httpx.AsyncClient(limits=limits, timeout=timeout)

    async def send(self, chat_id: str, text: str,
                   markup: Markup | dict[str, Any] | None) -> SendResult:
        body: dict[str, Any] = {"chat_id": chat_id, "text": text}
        if markup is not None:
            body["reply_markup"] = markup if isinstance(markup, dict) else markup.to_dict()
        try:
            response = await self._client.post(self.url, json=body)
            answer = response.json()
        except httpx.HTTPError as error:
            return SendResult("retry", reason=f"network: {error!r}"[:200])
        except ValueError:  # not JSON: a proxy's error page
            return text_verdict(response.status_code, {})
        return text_verdict(response.status_code, answer if isinstance(answer, dict) else {})

    async def call(self, method: str, body: dict[str, Any]) -> bool:
        """Another Bot API method whose answer says only whether it worked; never raises."""
        try:
            response = await self._client.post(f"{self.api}/{method}", json=body)
            answer = response.json()
        except (httpx.HTTPError, ValueError):
            return False
        return response.status_code == 200 and isinstance(answer, dict) \
            and answer.get("ok") is True

    async def aclose(self) -> None:
        await self._client.aclose()


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
