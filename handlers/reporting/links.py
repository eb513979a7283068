"""Short-lived signed links to a report's files, for channels that take files by URL only
(the Zalo Bot Platform's sendPhoto) and as a download link anywhere.

The token carries what to draw (period, scope, which file) and when it expires, signed with
KETNOI_SECRET_KEY (itsdangerous, HMAC-SHA256); `ketnoi serve` checks it
and draws the file at download time, so no file is stored.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, URLSafeSerializer

from storage.reports import Period, Scope

SALT = "ketnoi.report-file"
FILES = {"png": "image/png",
         "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
DEFAULT_TTL = 3600  # seconds a link stays valid


class LinkInvalid(Exception):
    """Forged, damaged or for something we do not serve."""


class LinkExpired(LinkInvalid):
    """Genuine but too old."""


@dataclass(frozen=True, slots=True)
class FileRequest:
    period: Period
    scope: Scope
    file: str  # "png" | "xlsx"

    @property
    def filename(self) -> str:
        return f"baocao-{self.period.first:%Y%m%d}-{self.period.last:%Y%m%d}.{self.file}"


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=SALT, signer_kwargs={"digest_method": hashlib.sha256})


def sign(secret: str, request: FileRequest, *, ttl: int = DEFAULT_TTL,
         now: datetime | None = None) -> str:
    expires = (now or datetime.now(UTC)) + timedelta(seconds=ttl)
    body = {"from": request.period.first.isoformat(), "to": request.period.last.isoformat(),
            "tz": request.period.tz, "point": request.scope.point,
            "province": request.scope.province, "file": request.file,
            "exp": int(expires.timestamp())}
    return str(_serializer(secret).dumps(body))


def verify(secret: str, token: str, *, now: datetime | None = None) -> FileRequest:
    """The request a token stands for; raises LinkExpired or LinkInvalid."""
    try:
        body: Any = _serializer(secret).loads(token)
        request = FileRequest(
            Period(date.fromisoformat(body["from"]), date.fromisoformat(body["to"]), body["tz"]),
            Scope(point=body.get("point"), province=body.get("province")), str(body["file"]))
        expires = int(body["exp"])
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise LinkInvalid(str(exc)) from None
    if request.file not in FILES:
        raise LinkInvalid(request.file)
    if (now or datetime.now(UTC)).timestamp() >= expires:
        raise LinkExpired(token[:12])
    return request


def url(base_url: str, secret: str, request: FileRequest, *, ttl: int = DEFAULT_TTL,
        now: datetime | None = None) -> str:
    """The link `ketnoi serve` answers: <base>/reports/<token>/<file name>."""
    token = sign(secret, request, ttl=ttl, now=now)
    return f"{base_url.rstrip('/')}/reports/{token}/{request.filename}"
