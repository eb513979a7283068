"""The Zalo OA's OAuth v4 token pair: kept encrypted in the database, refreshed by one process.

An access token lives 25 hours; the refresh token lives 3 months, is single-use and rotates on
every refresh (spending one twice is refused). So the new pair is written in the same transaction
that locked the row (`storage.repos.channel_tokens.claim_refresh`), and a process that finds the
pair already rotated by another uses it instead of refreshing again. Tokens are encrypted with
Fernet (`KETNOI_ZALO_TOKEN_KEY`) and never logged.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import httpx
from cryptography.fernet import Fernet, InvalidToken

from bot.zalo.errors import ZaloConfigError, missing
from storage.db import Database
from storage.repos import channel_tokens

log = logging.getLogger(__name__)

DEFAULT_LIFETIME = 90_000  # seconds, when Zalo's answer does not say (25 h)
KEY_HINT = (
    'python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"'
)


class TokenError(Exception):
    """No usable token pair: the operator must store one (set-tokens, authorize + exchange)."""


class TokenCipher:
    def __init__(self, key: str | None) -> None:
        if not key:
            raise missing("KETNOI_ZALO_TOKEN_KEY",
                          f"cần một khóa Fernet để mã hóa token Zalo OA; tạo bằng: {KEY_HINT}",
                          f"a Fernet key encrypts the Zalo OA tokens; make one with: {KEY_HINT}")
        try:
            self._fernet = Fernet(key.encode("ascii"))
        except (ValueError, UnicodeEncodeError):
            raise ZaloConfigError(
                "KETNOI_ZALO_TOKEN_KEY không phải khóa Fernet hợp lệ (32 byte, base64 URL-safe).\n"
                f"KETNOI_ZALO_TOKEN_KEY is not a valid Fernet key; make one with: {KEY_HINT}"
            ) from None

    def encrypt(self, token: str) -> str:
        return self._fernet.encrypt(token.encode("utf-8")).decode("ascii")

    def decrypt(self, stored: str) -> str:
        try:
            return self._fernet.decrypt(stored.encode("ascii")).decode("utf-8")
        except (InvalidToken, ValueError):
            raise TokenError(
                "Không giải mã được token Zalo OA đã lưu: KETNOI_ZALO_TOKEN_KEY đã đổi? "
                "Hãy lưu lại token (ketnoi zalo-oa set-tokens). / The stored Zalo OA tokens "
                "cannot be decrypted with KETNOI_ZALO_TOKEN_KEY: store them again."
            ) from None


@dataclass(frozen=True, slots=True)
class TokenPair:
    access_token: str
    refresh_token: str
    expires_at: datetime


class OAuthError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"Zalo OAuth error {code}: {message}")
        self.code = code


class ZaloOAuth:
    """`<oauth>/v4/oa/access_token` (form-urlencoded, header `secret_key`), and the consent URL."""

    def __init__(self, oauth_url: str, app_id: str, app_secret: str, timeout: float = 10.0,
                 http: httpx.AsyncClient | None = None) -> None:
        self.base = oauth_url.rstrip("/")
        self.app_id = app_id
        self._secret = app_secret
        self._http = http or httpx.AsyncClient(timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def refresh(self, refresh_token: str, now: datetime) -> TokenPair:
        return await self._token({"refresh_token": refresh_token, "app_id": self.app_id,
                                  "grant_type": "refresh_token"}, now)

    async def exchange(self, code: str, verifier: str, now: datetime) -> TokenPair:
        return await self._token({"code": code, "app_id": self.app_id, "code_verifier": verifier,
                                  "grant_type": "authorization_code"}, now)

    async def _token(self, form: dict[str, str], now: datetime) -> TokenPair:
        try:
            response = await self._http.post(f"{self.base}/v4/oa/access_token", data=form,
                                             headers={"secret_key": self._secret})
            body: Any = response.json()
        except (httpx.HTTPError, ValueError) as error:
            raise OAuthError(0, type(error).__name__) from None
        if not isinstance(body, dict) or not body.get("access_token") or not body.get(
                "refresh_token"):
            body = body if isinstance(body, dict) else {}
            raise OAuthError(_code(body.get("error"), response.status_code), str(body.get("error_description") or body.get("message")
                                       or "no token in the answer")[:200])
        try:
            lifetime = int(str(body.get("expires_in") or DEFAULT_LIFETIME))
        except ValueError:
            lifetime = DEFAULT_LIFETIME
        return TokenPair(str(body["access_token"]), str(body["refresh_token"]),
                         now + timedelta(seconds=lifetime))

    def consent_url(self, redirect_uri: str, challenge: str, state: str) -> str:
        query = urlencode({"app_id": self.app_id, "redirect_uri": redirect_uri,
                           "code_challenge": challenge, "state": state})
        return f"{self.base}/v4/oa/permission?{query}"


def _code(value: object, default: int) -> int:
    try:
        return int(str(value))
    except ValueError:
        return default


def pkce_pair() -> tuple[str, str]:
    """(code_verifier, S256 code_challenge) as OAuth PKCE defines them."""
    verifier = secrets.token_urlsafe(48)[:64]
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


class TokenKeeper:
    """The OA's current access token, refreshed ahead of expiry or when Zalo refuses it."""

    def __init__(self, db: Database, oauth: ZaloOAuth, cipher: TokenCipher, *,
                 margin: float = 3600.0,
                 clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.db = db
        self.oauth = oauth
        self.cipher = cipher
        self.account = f"zalo-oa:{oauth.app_id}"
        self.margin = timedelta(seconds=margin)
        self.clock = clock
        self._current: TokenPair | None = None
        self._lock = asyncio.Lock()
        self.refreshes = 0  # refresh calls this process made (for logs and tests)

    def _fresh(self, pair: TokenPair | None) -> bool:
        return pair is not None and pair.expires_at - self.margin > self.clock()

    async def access_token(self) -> str:
        if self._fresh(self._current):
            assert self._current is not None
            return self._current.access_token
        return await self.refresh(stale=None)

    async def refresh(self, stale: str | None) -> str:
        """A usable token: the stored one if another process already replaced `stale` (or it is
        still fresh), else a new pair from Zalo, stored before it is used."""
        async with self._lock:
            mine = self._current
            if mine is not None and mine.access_token != stale and self._fresh(mine):
                return mine.access_token
            async with channel_tokens.claim_refresh(self.db, self.account) as claim:
                stored = self._decrypt(claim.current)
                if stored.access_token != stale and self._fresh(stored):
                    self._current = stored
                    return stored.access_token
                try:
                    pair = await self.oauth.refresh(stored.refresh_token, self.clock())
                except OAuthError as error:
                    log.error("Zalo OA token refresh refused (%s): run `ketnoi zalo-oa "
                              "authorize` to grant access again", error)
                    raise TokenError(str(error)) from None
                self.refreshes += 1
                await claim.replace(self.cipher.encrypt(pair.access_token),
                                    self.cipher.encrypt(pair.refresh_token), pair.expires_at)
            log.info("Zalo OA access token refreshed (valid until %s)", pair.expires_at)
            self._current = pair
            return pair.access_token

    def _decrypt(self, stored: channel_tokens.StoredTokens | None) -> TokenPair:
        if stored is None:
            raise TokenError("Chưa có token Zalo OA: hãy chạy `ketnoi zalo-oa set-tokens` hoặc "
                             "`ketnoi zalo-oa authorize`. / No Zalo OA tokens stored yet.")
        return TokenPair(self.cipher.decrypt(stored.access_token),
                         self.cipher.decrypt(stored.refresh_token), stored.expires_at)

    async def store(self, pair: TokenPair) -> None:
        await channel_tokens.store(self.db, self.account, self.cipher.encrypt(pair.access_token),
                                   self.cipher.encrypt(pair.refresh_token), pair.expires_at)
        self._current = pair

    async def begin_consent(self, redirect_uri: str) -> str:
        """The consent URL; its PKCE verifier is kept (encrypted) until `exchange`."""
        verifier, challenge = pkce_pair()
        await channel_tokens.save_verifier(self.db, self.account, self.cipher.encrypt(verifier))
        return self.oauth.consent_url(redirect_uri, challenge, secrets.token_urlsafe(12))

    async def exchange(self, code: str) -> TokenPair:
        stored = await channel_tokens.pending_verifier(self.db, self.account)
        if not stored:
            raise TokenError("Chưa có yêu cầu cấp quyền: hãy chạy `ketnoi zalo-oa authorize` "
                             "trước. / Run `ketnoi zalo-oa authorize` first.")
        try:
            pair = await self.oauth.exchange(code, self.cipher.decrypt(stored), self.clock())
        except OAuthError as error:
            raise TokenError(f"Zalo từ chối mã cấp quyền / Zalo refused the code: {error}") from None
        await self.store(pair)
        return pair
