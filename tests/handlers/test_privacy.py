"""/dulieu shows what is stored; /xoadulieu forgets it only after a confirmation."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from storage.models import Demand, EventRegistration, Subscription, Technology, User
from storage.repos import demands as demands_repo
from tests.handlers.dialogue2_harness import Chat, add, event, make_app


@pytest.fixture
async def app(tmp_path: Any, nlu: Any) -> AsyncIterator[App]:
    app = await make_app(tmp_path, nlu)
    await add(app, event("HT-BN", days=5, title="Hội thảo chế biến vải thiều"))
    yield app
    await app.close()


async def _fill(app: App, chat: Chat) -> None:
    """A user with contact data, a demand, a subscription and a registration."""
    async with app.services.db.transaction() as s:
        user = User(channel="console", external_id=chat.user, display_name="Nguyễn Thị Lan",
                    phone="0912345678", email="lan@htx.vn", organisation="HTX Lục Ngạn")
        s.add(user)
        await s.flush()
        await demands_repo.create(s, user, "find_technology", "can may say, goi 0912345678",
                                  details={"phone": "0912345678", "need": "máy sấy"},
                                  commit=False)
        s.add(Subscription(user_id=user.id, sectors=["post_harvest"], provinces=["bac_ninh"]))
    await chat.press("ev:reg:HT-BN")


async def test_my_data_lists_everything_stored(app: App) -> None:
    chat = Chat(app)
    await _fill(app, chat)
    await chat.say("/dulieu")
    for expected in ("0912345678", "lan@htx.vn", "HTX Lục Ngạn", "Yêu cầu đã gửi (1)",
                     "Bảo quản sau thu hoạch", "Bắc Ninh", "Hội thảo chế biến vải thiều",
                     "/xoadulieu"):
        assert expected in chat.text


async def test_forget_needs_confirmation(app: App) -> None:
    chat = Chat(app)
    await _fill(app, chat)
    await chat.say("/xoadulieu")
    assert "không hoàn tác" in chat.text
    await chat.press_label("Không xóa")
    async with app.services.db.session() as s:
        user = (await s.execute(select(User))).scalar_one()
    assert user.phone == "0912345678"


async def test_forget_anonymises_and_removes(app: App) -> None:
    chat = Chat(app)
    await _fill(app, chat)
    await chat.say("/xoadulieu")
    await chat.say("có")
    assert "Em đã xóa dữ liệu cá nhân" in chat.text
    async with app.services.db.session() as s:
        user = (await s.execute(select(User))).scalar_one()
        demand = (await s.execute(select(Demand))).scalar_one()
        subs = (await s.execute(select(Subscription))).scalars().all()
        regs = (await s.execute(select(EventRegistration))).scalars().all()
    assert (user.phone, user.email, user.organisation, user.display_name) == (None,) * 4
    assert "phone" not in demand.details and demand.details["need"] == "máy sấy"
    assert "0912345678" not in demand.raw_text
    assert subs == [] and regs == []
    await chat.say("/dulieu")
    assert "Số điện thoại: (chưa có)" in chat.text


async def test_forget_with_nothing_stored_still_answers(app: App) -> None:
    chat = Chat(app, "fresh")
    await chat.say("/xoadulieu")
    await chat.press("priv:forget:yes")
    assert "Em đã xóa dữ liệu cá nhân" in chat.text


async def test_forget_clears_contact_on_offered_technologies(app: App) -> None:
    chat = Chat(app)
    await _fill(app, chat)
    async with app.services.db.transaction() as s:
        user = (await s.execute(select(User))).scalar_one()
        s.add(Technology(code="CN-U0001", title="Máy sấy bơm nhiệt", provider="HTX Lục Ngạn",
                         provider_contact={"phone": "0912345678"}, status="pending_review",
                         submitted_by_id=user.id))
    await chat.say("/dulieu")
    assert "CN-U0001 · Máy sấy bơm nhiệt" in chat.text
    await chat.say("/xoadulieu")
    await chat.press("priv:forget:yes")
    async with app.services.db.session() as s:
        tech = (await s.execute(select(Technology))).scalar_one()
    assert tech.provider_contact == {} and tech.title == "Máy sấy bơm nhiệt"
