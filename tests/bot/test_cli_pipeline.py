"""`ketnoi demands assign|status|list --point` and `ketnoi audit` through the real typer app."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from bot.cli import app
from bot.config import get_settings
from storage.db import Database
from storage.models import Demand, OutboxMessage, User
from storage.repos import demands, staff
from tests.storage.conftest import SEED_FIXTURE


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[CliRunner, str]]:
    url = f"sqlite+aiosqlite:///{tmp_path / 'k.db'}"
    monkeypatch.setenv("KETNOI_DATABASE_URL", url)
    get_settings.cache_clear()
    runner = CliRunner()
    assert runner.invoke(app, ["seed", "--dir", str(SEED_FIXTURE)]).exit_code == 0
    yield runner, url
    get_settings.cache_clear()


def _prepare(url: str) -> int:
    async def work() -> int:
        db = Database(url)
        await staff.add(db, "telegram", "900", point="P-BN", name="Lan")
        async with db.transaction() as s:
            user = User(channel="telegram", external_id="555")
            s.add(user)
            await s.flush()
        demand, _ = await demands.submit(db, user, Demand(
            type="find_technology", raw_text="cần máy sấy vải", province="bac_ninh"), {})
        await db.dispose()
        return demand.id

    return asyncio.run(work())


def _updates(url: str) -> list[str]:
    async def work() -> list[str]:
        db = Database(url)
        async with db.session() as s:
            rows = (await s.execute(select(OutboxMessage).where(OutboxMessage.kind == "update")
                                    .order_by(OutboxMessage.id))).scalars()
            texts = [r.payload["text"] for r in rows if r.recipient == "555"]
        await db.dispose()
        return texts

    return asyncio.run(work())


def test_assign_status_list_and_audit(cli: tuple[CliRunner, str]) -> None:
    runner, url = cli
    demand_id = _prepare(url)
    listed = runner.invoke(app, ["demands", "list", "--point", "P-BN", "--status", "new",
                                 "--json"])
    assert listed.exit_code == 0, listed.output
    assert [d["id"] for d in json.loads(listed.output)] == [demand_id]
    other = runner.invoke(app, ["demands", "list", "--point", "P-TW", "--json"])
    assert json.loads(other.stdout) == []  # the empty-list hint goes to stderr
    out = runner.invoke(app, ["demands", "assign", str(demand_id), "--staff", "telegram:900"])
    assert out.exit_code == 0, out.output
    assert "Cán bộ đang xử lý" in out.output and "Lan" in out.output
    bad = runner.invoke(app, ["demands", "status", str(demand_id), "closed"])
    assert bad.exit_code == 1 and "kết quả" in bad.output
    done = runner.invoke(app, ["demands", "status", str(demand_id), "closed", "--outcome",
                               "no_match", "--note", "Không có đơn vị phù hợp"])
    assert done.exit_code == 0, done.output
    again = runner.invoke(app, ["demands", "status", str(demand_id), "connected"])
    assert again.exit_code == 1 and "Đã đóng" in again.output
    shown = json.loads(runner.invoke(app, ["demands", "show", str(demand_id)]).output)
    assert shown["status"] == "closed" and shown["outcome"] == "no_match"
    assert [h["to"] for h in shown["history"]] == ["new", "assigned", "closed"]
    texts = _updates(url)
    assert len(texts) == 2 and "cán bộ Lan" in texts[0] and "chưa tìm được" in texts[1]
    audit = json.loads(runner.invoke(app, ["audit", "--since", "1d", "--json"]).output)
    assert [(a["actor"], a["details"]["new"]) for a in audit] == [
        ("cli (dòng lệnh)", "assigned"), ("cli (dòng lệnh)", "closed")]
    assert runner.invoke(app, ["audit", "--since", "yesterday"]).exit_code == 2
    assert "demand.status" in runner.invoke(app, ["audit"]).output


def test_offers_list_approve_reject(cli: tuple[CliRunner, str]) -> None:
    runner, url = cli

    async def offer() -> None:
        from storage.repos import catalog

        db = Database(url)
        for title in ("Máy bóc vỏ hạt điều", "Lò sấy hạt tiêu"):
            await catalog.offer_technology(db, None, title=title, summary="", description="",
                                           sector=None, keywords=[], provider="Viện")
        await db.dispose()

    asyncio.run(offer())
    waiting = json.loads(runner.invoke(app, ["offers", "list", "--json"]).output)
    ours = [o for o in waiting if o["provider"] == "Viện"]  # the fixture has one pending too
    codes = [o["code"] for o in ours]
    assert [o["title"] for o in ours] == ["Máy bóc vỏ hạt điều", "Lò sấy hạt tiêu"]
    assert runner.invoke(app, ["offers", "approve", codes[0]]).exit_code == 0
    out = runner.invoke(app, ["offers", "reject", codes[1], "--reason", "Thiếu hồ sơ"])
    assert out.exit_code == 0, out.output
    assert runner.invoke(app, ["offers", "approve", codes[1]]).exit_code == 1  # decided already
    assert "hạt" not in runner.invoke(app, ["offers", "list"]).output
    actions = [a["action"] for a in json.loads(runner.invoke(app, ["audit", "--json"]).output)]
    assert actions == ["offer.approve", "offer.reject"]


def test_offers_ask_reaches_the_offerer_and_lists_the_answer(cli: tuple[CliRunner, str]) -> None:
    runner, url = cli

    async def offer() -> str:
        from storage.repos import catalog, users

        db = Database(url)
        user = await users.ensure(db, "zalo", "z9", "Viện Cơ điện")
        tech = await catalog.offer_technology(db, user, title="Máy sấy bơm nhiệt", summary="",
                                              description="", sector=None, keywords=[],
                                              provider="Viện Cơ điện")
        await db.dispose()
        return tech.code

    code = asyncio.run(offer())
    out = runner.invoke(app, ["offers", "ask", code, "--question", "Công suất điện bao nhiêu?"])
    assert out.exit_code == 0, out.output
    assert "Công suất điện bao nhiêu?" in runner.invoke(app, ["offers", "list"]).output
    [ours] = [o for o in json.loads(runner.invoke(app, ["offers", "list", "--json"]).output)
              if o["code"] == code]
    assert ours["questions"][0]["question"] == "Công suất điện bao nhiêu?"
    assert ours["questions"][0]["answer"] is None

    async def told() -> list[str]:
        db = Database(url)
        async with db.session() as s:
            rows = (await s.execute(select(OutboxMessage))).scalars().all()
        await db.dispose()
        return [r.payload["text"] for r in rows if r.recipient == "z9"]

    [text] = asyncio.run(told())
    assert "Công suất điện bao nhiêu?" in text
    assert runner.invoke(app, ["offers", "ask", code, "--question", " "]).exit_code == 1
    actions = [a["action"] for a in json.loads(runner.invoke(app, ["audit", "--json"]).output)]
    assert actions == ["offer.ask"]


def test_staff_duty_and_fallback(cli: tuple[CliRunner, str]) -> None:
    runner, _ = cli
    out = runner.invoke(app, ["staff", "add", "zalo", "77", "--point", "Bắc Ninh", "--name", "An",
                              "--fallback"])
    assert out.exit_code == 0 and "dự phòng" in out.output, out.output
    assert runner.invoke(app, ["staff", "duty", "zalo", "77", "off"]).exit_code == 0
    [member] = [m for m in json.loads(runner.invoke(app, ["staff", "list", "--json"]).output)
                if m["user_id"] == "77"]
    assert member["fallback"] and not member["on_duty"] and member["point"] == "P-BN"
    assert "nghỉ trực, dự phòng" in runner.invoke(app, ["staff", "list"]).output
    assert runner.invoke(app, ["staff", "duty", "zalo", "77", "maybe"]).exit_code == 2
    assert runner.invoke(app, ["staff", "duty", "zalo", "78", "on"]).exit_code == 1  # not staff
    out = runner.invoke(app, ["staff", "duty", "zalo", "77", "on"])
    assert "đang trực" in out.output
    actions = [a["action"] for a in json.loads(runner.invoke(app, ["audit", "--json"]).output)]
    assert actions == ["staff.add", "staff.duty", "staff.duty"]


def test_broadcasts_are_audited(cli: tuple[CliRunner, str]) -> None:
    runner, _ = cli
    out = runner.invoke(app, ["broadcast", "create", "--text", "Mời dự hội thảo chế biến",
                              "--yes", "--json"])
    assert out.exit_code == 0, out.output
    created = json.loads(out.output)["id"]
    assert runner.invoke(app, ["broadcast", "cancel", str(created)]).exit_code == 0
    entries = json.loads(runner.invoke(app, ["audit", "--json"]).output)
    assert [(e["action"], e["target"]) for e in entries] == [
        ("broadcast.create", f"broadcast:{created}"), ("broadcast.cancel", f"broadcast:{created}")]
    assert entries[0]["details"]["text"] == "Mời dự hội thảo chế biến"
