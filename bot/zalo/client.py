"""A thin httpx client of the Zalo Bot Platform (`<api>/bot<TOKEN>/<method>`).

Answers come in an envelope, `{"ok": true, "result": ...}` or `{"ok": false, "error_code",
"description"}`, sometimes with HTTP 200 for an error: `ok` decides, not the status. The token is
part of every URL, so nothing here logs a URL or lets one into an exception message.
"""

from __future__ import annotations

import logging
import re
from typing import Any

import httpx

log = logging.getLogger(__name__)
TOKEN_IN_URL = re.compile(r"/bot[^/\s\"']+/")


class RedactBotTokens(logging.Filter):
    """httpx logs every request URL (at INFO); the Bot Platform's URLs carry the token."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/bot" in message:
            record.msg, record.args = TOKEN_IN_URL.sub("/bot***/", message), ()
        return True


def _redact_httpx_logs() -> None:
    logger = logging.getLogger("httpx")
    if not any(isinstance(f, RedactBotTokens) for f in logger.filters):
        logger.addFilter(RedactBotTokens())

POLL_EMPTY = 408  # getUpdates had nothing to give: not an error
MAX_TEXT = 2000


class ZaloBotError(Exception):
    """The platform refused a call (`code` is its error_code or the HTTP status; 0: no answer)."""

    def __init__(self, method: str, code: int, description: str = "") -> None:
        super().__init__(f"{method}: {code} {description}".strip())
        self.method = method
        self.code = code
        self.description = description

    @property
    def retryable(self) -> bool:
        return self.code in (0, 429) or self.code >= 500


class ZaloBotClient:
    def __init__(self, token: str, api_url: str, timeout: float = 10.0,
                 http: httpx.AsyncClient | None = None) -> None:
        _redact_httpx_logs()
        self.api_url = api_url
        self._base = f"{api_url.rstrip('/')}/bot{token}/"
        self._timeout = timeout
        self._http = http or httpx.AsyncClient(
            timeout=timeout, limits=httpx.Limits(max_connections=100, max_keepalive_connections=50))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def call(self, method: str, params: dict[str, Any] | None = None,
                   timeout: float | None = None) -> Any:
        """POST one method as JSON; the `result`, or ZaloBotError (never with the URL in it)."""
        try:
            response = await self._http.post(self._base + method, json=params or {},
                                             timeout=timeout or self._timeout)
        except httpx.HTTPError as error:
            raise ZaloBotError(method, 0, type(error).__name__) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if isinstance(body, dict) and body.get("ok") is True:
            return body.get("result")
        if isinstance(body, dict) and body.get("error_code"):
            code = _int(body.get("error_code"), response.status_code)
            raise ZaloBotError(method, code, str(body.get("description") or "")[:200])
        raise ZaloBotError(method, response.status_code if response.status_code >= 400 else 0,
                           "unexpected answer")

    # --- methods ----------------------------------------------------------------------------
    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_updates(self, timeout: int) -> list[dict[str, Any]]:
        """One long poll: the update it brought ([] when nothing came within `timeout`)."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout + 10.0)
        except ZaloBotError as error:
            if error.code == POLL_EMPTY:
                return []
            raise
        if isinstance(result, dict):  # the documented shape: one update per call
            return [result]
        if isinstance(result, list):  # tolerate a list, as some SDKs expect
            return [u for u in result if isinstance(u, dict)]
        return []

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return result if isinstance(result, dict) else {}

    async def send_photo(self, chat_id: str, photo_url: str, caption: str = "") -> dict[str, Any]:
        params = {"chat_id": chat_id, "photo": photo_url}
        if caption:
            params["caption"] = caption
        result = await self.call("sendPhoto", params)
        return result if isinstance(result, dict) else {}

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})

    async def set_webhook(self, url: str, secret_token: str) -> dict[str, Any]:
        result = await self.call("setWebhook", {"url": url, "secret_token": secret_token})
        return result if isinstance(result, dict) else {}

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def get_webhook_info(self) -> dict[str, Any]:
        result = await self.call("getWebhookInfo")
        return result if isinstance(result, dict) else {}


def _int(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default
