"""Signed report links: a round trip, expiry on a fixed clock, forgeries refused."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from handlers.reporting import links
from storage.reports import Period, Scope

NOW = datetime(2026, 11, 30, 9, tzinfo=UTC)
REQUEST = links.FileRequest(Period(date(2026, 1, 1), date(2026, 3, 31)), Scope(point="DKN-BN"),
                            "xlsx")


def test_round_trip_until_expiry() -> None:
    token = links.sign("key", REQUEST, ttl=900, now=NOW)
    assert links.verify("key", token, now=NOW) == REQUEST
    assert links.verify("key", token, now=NOW + timedelta(seconds=899)) == REQUEST
    with pytest.raises(links.LinkExpired):
        links.verify("key", token, now=NOW + timedelta(seconds=900))
    url = links.url("https://bot.example.vn/", "key", REQUEST, now=NOW)
    assert url.startswith("https://bot.example.vn/reports/")
    assert url.endswith("/baocao-20260101-20260331.xlsx")


def test_forged_tokens_are_refused() -> None:
    token = links.sign("key", REQUEST, now=NOW)
    with pytest.raises(links.LinkInvalid):
        links.verify("other key", token, now=NOW)
    body, _, signature = token.rpartition(".")
    with pytest.raises(links.LinkInvalid):
        links.verify("key", body + "." + signature[::-1], now=NOW)
    with pytest.raises(links.LinkInvalid):
        links.verify("key", "", now=NOW)
    # A genuine signature over something we do not serve is refused too.
    odd = links.sign("key", links.FileRequest(REQUEST.period, REQUEST.scope, "exe"), now=NOW)
    with pytest.raises(links.LinkInvalid):
        links.verify("key", odd, now=NOW)
