"""The OA token pair: encrypted at rest, refreshed ahead of expiry or when refused, by exactly
one process at a time, against a fake OAuth endpoint that rotates refresh tokens."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet

from bot.types import Outgoing
from bot.zalo.errors import ZaloConfigError
from bot.zalo.oa import OUTSIDE_WINDOW, ZaloOAClient, ZaloOASender
from bot.zalo.tokens import TokenCipher, TokenError, TokenKeeper, TokenPair
from storage.db import Database
from storage.repos import channel_tokens
from tests.bot.fake_zalo_oa import FakeZaloOA
from tests.bot.zalo.conftest import make_keeper, open_db


def sender(fake_oa: FakeZaloOA, keeper: TokenKeeper, buttons: str = "text") -> ZaloOASender:
    return ZaloOASender(ZaloOAClient(fake_oa.url), keeper, buttons)  # type: ignore[arg-type]


async def test_pair_is_encrypted_at_rest(fake_oa: FakeZaloOA, keeper: TokenKeeper,
                                         token_db: Database) -> None:
    stored = await channel_tokens.read(token_db, keeper.account)
    assert stored is not None
    assert fake_oa.refresh_token not in stored.refresh_token
    assert not any(a in stored.access_token for a in fake_oa.valid_access)
    assert keeper.cipher.decrypt(stored.refresh_token) == fake_oa.refresh_token
    other = TokenCipher(Fernet.generate_key().decode())
    with pytest.raises(TokenError):
        other.decrypt(stored.refresh_token)  # a changed key: a clear error, not garbage


def test_missing_or_malformed_key_is_a_clear_config_error() -> None:
    with pytest.raises(ZaloConfigError, match="KETNOI_ZALO_TOKEN_KEY"):
        TokenCipher(None)
    with pytest.raises(ZaloConfigError, match="Fernet"):
        TokenCipher("not-a-key")


async def test_expired_token_mid_dialogue_refreshes_once_and_resends(
        fake_oa: FakeZaloOA, keeper: TokenKeeper) -> None:
    oa = sender(fake_oa, keeper)
    assert (await oa.send("u1", Outgoing("Câu hỏi 1"))).status == "sent"
    old_refresh = fake_oa.refresh_token
    fake_oa.expire_access()  # Zalo answers -216 from now on
    result = await oa.send("u1", Outgoing("Câu hỏi 2"))
    assert result.status == "sent" and len(fake_oa.refresh_calls()) == 1
    assert fake_oa.texts("u1") == ["Câu hỏi 1", "Câu hỏi 2"]
    stored = await channel_tokens.read(keeper.db, keeper.account)
    assert stored is not None and keeper.cipher.decrypt(stored.refresh_token) != old_refresh
    assert (await oa.send("u1", Outgoing("Câu hỏi 3"))).status == "sent"
    assert len(fake_oa.refresh_calls()) == 1  # the new token is kept


async def test_refreshed_ahead_of_expiry(fake_oa: FakeZaloOA, token_db: Database) -> None:
    keeper = make_keeper(fake_oa, token_db, margin=3600)
    access, refresh = fake_oa.issue_pair()
    await keeper.store(TokenPair(access, refresh, datetime.now(UTC) + timedelta(minutes=30)))
    token = await keeper.access_token()
    assert token != access and len(fake_oa.refresh_calls()) == 1
    assert await keeper.access_token() == token  # fresh now: no second refresh
    await keeper.oauth.aclose()


async def test_two_processes_refresh_at_once_one_refresh_reaches_zalo(
        fake_oa: FakeZaloOA, shared_db: str) -> None:
    dbs = [open_db(shared_db), open_db(shared_db)]  # two engines: as two processes
    keepers = [make_keeper(fake_oa, db) for db in dbs]
    access, refresh = fake_oa.issue_pair()
    await keepers[0].store(TokenPair(access, refresh, datetime.now(UTC) + timedelta(hours=25)))
    senders = [sender(fake_oa, k) for k in keepers]
    for i, oa in enumerate(senders):  # both processes work with the same token
        assert (await oa.send(f"p{i}", Outgoing("trước"))).status == "sent"
    fake_oa.expire_access()
    fake_oa.refresh_delay = 0.3  # both refreshes overlap
    results = await asyncio.gather(*(oa.send(f"p{i}", Outgoing("sau"))
                                     for i, oa in enumerate(senders)))
    assert [r.status for r in results] == ["sent", "sent"]
    assert len(fake_oa.refresh_calls()) == 1  # the single-use refresh token was spent once
    after = [c for c in fake_oa.sent() if c.params["message"]["text"] == "sau"]
    assert len({c.params["_token"] for c in after}) == 1  # both sent with the new token
    for keeper, db in zip(keepers, dbs, strict=True):
        await keeper.oauth.aclose()
        await db.dispose()


async def test_spent_refresh_token_is_reported_not_retried(
        fake_oa: FakeZaloOA, keeper: TokenKeeper, caplog: pytest.LogCaptureFixture) -> None:
    fake_oa.issue_pair()  # someone rotated the pair outside ketnoi: ours is spent
    fake_oa.expire_access()
    result = await sender(fake_oa, keeper).send("u2", Outgoing("xin chào"))
    assert result.status == "failed" and result.reason == "no Zalo OA token"
    assert "authorize" in caplog.text and len(fake_oa.refresh_calls()) == 1


async def test_no_stored_pair_fails_with_a_hint(fake_oa: FakeZaloOA, token_db: Database) -> None:
    keeper = make_keeper(fake_oa, token_db)
    with pytest.raises(TokenError, match="set-tokens"):
        await keeper.access_token()
    await keeper.oauth.aclose()


async def test_authorize_with_pkce_then_exchange(fake_oa: FakeZaloOA, token_db: Database) -> None:
    from urllib.parse import parse_qs, urlsplit

    keeper = make_keeper(fake_oa, token_db)
    url = await keeper.begin_consent("https://ketnoi.example.vn/zalo/callback")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert parts.path == "/v4/oa/permission" and query["app_id"] == [keeper.oauth.app_id]
    assert query["redirect_uri"] == ["https://ketnoi.example.vn/zalo/callback"]
    code = fake_oa.issue_code(query["code_challenge"][0])
    pair = await keeper.exchange(code)
    assert pair.access_token in fake_oa.valid_access
    assert await keeper.access_token() == pair.access_token
    with pytest.raises(TokenError):
        await keeper.exchange(code)  # used once, and the verifier is gone
    await keeper.oauth.aclose()


async def test_wrong_code_verifier_is_refused(fake_oa: FakeZaloOA, token_db: Database) -> None:
    keeper = make_keeper(fake_oa, token_db)
    await keeper.begin_consent("https://ketnoi.example.vn/cb")
    code = fake_oa.issue_code("a-challenge-for-another-verifier")
    with pytest.raises(TokenError, match="-14003"):
        await keeper.exchange(code)
    await keeper.oauth.aclose()


async def test_tokens_never_logged(fake_oa: FakeZaloOA, keeper: TokenKeeper,
                                   caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    seen = set(fake_oa.valid_access) | {fake_oa.refresh_token}
    fake_oa.expire_access()
    await sender(fake_oa, keeper).send("u3", Outgoing("xin chào"))
    seen |= set(fake_oa.valid_access) | {fake_oa.refresh_token}
    assert "refreshed" in caplog.text
    assert not any(token in caplog.text for token in seen)


@pytest.mark.parametrize(("code", "status", "reason"), [
    (-213, "blocked", None), (-227, "blocked", None),
    (-230, "failed", OUTSIDE_WINDOW), (-232, "failed", OUTSIDE_WINDOW),
    (-32, "retry", None), (-234, "retry", None), (-244, "failed", "zalo-oa -244: injected -244"),
])
async def test_oa_error_codes_become_send_results(fake_oa: FakeZaloOA, keeper: TokenKeeper,
                                                  code: int, status: str,
                                                  reason: str | None) -> None:
    fake_oa.fail("cs", code, "u4")
    result = await sender(fake_oa, keeper).send("u4", Outgoing("Sự kiện mới"))
    assert result.status == status
    if reason is not None:
        assert result.reason == reason
    if code == -234:
        assert result.retry_after is not None and 0 < result.retry_after <= 24 * 3600


def test_quiet_hours_retry_at_six_in_the_morning() -> None:
    from bot.zalo.oa import seconds_until_morning

    late = datetime(2026, 11, 30, 16, 30, tzinfo=UTC)  # 23:30 in Vietnam
    assert seconds_until_morning(late) == 6.5 * 3600
    early = datetime(2026, 11, 30, 22, 0, tzinfo=UTC)  # 05:00 in Vietnam
    assert seconds_until_morning(early) == 3600


async def test_template_buttons_and_fallback_to_numbered_text(
        fake_oa: FakeZaloOA, keeper: TokenKeeper) -> None:
    from bot.types import Button

    question = Outgoing("Xác nhận nhu cầu?", (Button("Xác nhận", "f:ok"), Button("Hủy", "f:no")))
    assert (await sender(fake_oa, keeper, "template").send("u5", question)).status == "sent"
    assert [(b["title"], b["type"], b["payload"]) for b in fake_oa.buttons("u5")] == [
        ("Xác nhận", "oa.query.hide", "#k:f:ok"), ("Hủy", "oa.query.hide", "#k:f:no")]
    fake_oa.fail("cs", -201, "u5")  # an OA whose API refuses button payloads on cs messages
    refused = sender(fake_oa, keeper, "template")
    assert (await refused.send("u5", question)).status == "sent"
    assert fake_oa.texts("u5")[-1] == "Xác nhận nhu cầu?\n1. Xác nhận\n2. Hủy"
    assert refused.buttons == "text"  # from now on: numbered choices, numbers read as answers
    assert (await sender(fake_oa, keeper, "text").send("u6", question)).status == "sent"
    assert "1. Xác nhận\n2. Hủy" in fake_oa.texts("u6")[0] and fake_oa.buttons("u6") == []
