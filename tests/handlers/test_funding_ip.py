"""Funding programmes and IP registration: the right answer per question, then a consultation
request saved as a Demand (or a handoff)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from sqlalchemy import select

from bot.app import App
from handlers.knowledge.base import match_topic
from handlers.knowledge.funding import FUNDING_TOPICS
from handlers.knowledge.ip import IP_TOPICS
from storage.models import Demand, User
from tests.handlers.dialogue2_harness import Chat, add, connection_point, make_app


@pytest.fixture
async def app(tmp_path: Any, nlu: Any) -> AsyncIterator[App]:
    app = await make_app(tmp_path, nlu)
    await add(app, connection_point())
    yield app
    await app.close()


@pytest.mark.parametrize(("text", "topic"), [
    ("dang ky nhan hieu cho san pham", "tm"),
    ("bảo hộ logo công ty", "tm"),
    ("htx muon lam nhan hieu tap the", "ctm"),
    ("nhãn hiệu chứng nhận cho gạo", "cm"),
    ("nhan hieu chung nhan khac nhan hieu tap the the nao", "cm"),
    ("lam chi dan dia ly cho vai thieu", "gi"),
    ("đăng ký sáng chế máy sấy", "pat"),
    ("giai phap huu ich la gi", "pat"),
    ("bao ho kieu dang bao bi", "des"),
])
def test_ip_routing(text: str, topic: str) -> None:
    found = match_topic(text, IP_TOPICS)
    assert found is not None and found.id == topic


@pytest.mark.parametrize(("text", "topic"), [
    ("chuong trinh doi moi cong nghe quoc gia", "dmcn"),
    ("quy doi moi cong nghe quoc gia NATIF", "natif"),
    ("vay von uu dai de mua may", "natif"),
    ("cty em muon vay von uu dai de doi moi cong nghe", "natif"),
    ("chuyen giao cong nghe nuoc ngoai", "ftech"),
    ("chuong trinh san pham quoc gia", "spqg"),
    ("ho tro ap dung ISO va 5S", "nsct"),
    ("trich lap quy khcn doanh nghiep", "qdn"),
    ("quy khcn cua tinh", "qtinh"),
    ("ho tro kinh phi dang ky nhan hieu", "ipdev"),
])
def test_funding_routing(text: str, topic: str) -> None:
    found = match_topic(text, FUNDING_TOPICS)
    assert found is not None and found.id == topic


async def test_trademark_answer_says_what_to_prepare(app: App) -> None:
    chat = Chat(app)
    await chat.say("dang ky nhan hieu cho san pham")
    assert "Đăng ký nhãn hiệu" in chat.text
    assert "Hồ sơ, thông tin cần chuẩn bị" in chat.text and "Nice" in chat.text
    assert "10 năm" in chat.text and "Cục Sở hữu trí tuệ" in chat.text
    labels = [label for label, _ in chat.buttons]
    assert "Đăng ký tư vấn" in labels and "Gặp cán bộ" in labels


async def test_geographical_indication_answer_differs_from_trademark(app: App) -> None:
    chat = Chat(app)
    await chat.say("lam chi dan dia ly cho vai thieu")
    assert "Chỉ dẫn địa lý" in chat.text and "Bản đồ khu vực địa lý" in chat.text
    assert "Bảng phân loại Nice" not in chat.text


async def test_ip_question_about_money_mentions_support_programme(app: App) -> None:
    chat = Chat(app)
    await chat.say("đăng ký sáng chế có được hỗ trợ kinh phí không")
    if any(p.startswith("fb:") for _, p in chat.buttons):  # NLU unsure: confirm the intent
        await chat.press("fb:ip_support")
    assert "phát triển tài sản trí tuệ" in chat.text
    # The IP procedure is one button away whichever intent the NLU picked.
    if "Hồ sơ" not in chat.text or "Sáng chế" not in chat.text:
        await chat.press_label("Thủ tục: Sáng chế")
    assert "Sáng chế và giải pháp hữu ích" in chat.text and "42 tháng" in chat.text


async def test_vague_funding_question_offers_programmes(app: App) -> None:
    chat = Chat(app)
    await chat.say("xin ho tro kinh phi")
    assert "NATIF" in chat.text
    await chat.press("fund:t:dmcn")
    assert "118/QĐ-TTg" in chat.text and "Sở KH&CN" in chat.text


async def test_consultation_request_is_saved_as_demand(app: App) -> None:
    chat = Chat(app)
    await chat.say("xin ho tro kinh phi doi moi cong nghe")
    await chat.press_label("Đăng ký tư vấn")
    # The question is pre-filled from the first message; organisation is asked next.
    assert "doanh nghiệp" in chat.text
    await chat.say("HTX Vải thiều Lục Ngạn")
    await chat.say("bac giang")
    assert "Bắc Ninh" in chat.text
    await chat.say("0912345678")
    await chat.press_label("Đồng ý")
    assert "Xác nhận" in [label for label, _ in chat.buttons]
    await chat.press_label("Xác nhận")
    assert "yêu cầu tư vấn số" in chat.text
    async with app.services.db.session() as s:
        demand = (await s.execute(select(Demand))).scalar_one()
        user = (await s.execute(select(User))).scalar_one()
    assert demand.type == "ask_funding" and demand.province == "bac_ninh"
    assert demand.details["phone"] == "0912345678"
    assert demand.raw_text == "xin ho tro kinh phi doi moi cong nghe"
    assert demand.connection_point_id is not None
    assert user.phone == "0912345678" and user.consent_at is not None


async def test_second_consultation_does_not_ask_known_contact(app: App) -> None:
    chat = Chat(app)
    async with app.services.db.transaction() as s:
        s.add(User(channel="console", external_id="u1", phone="0912345678", organisation="Cty A",
                   province="ha_noi", consent_at=app.services.clock()))
    await chat.say("lam chi dan dia ly cho vai thieu")
    await chat.press_label("Đăng ký tư vấn")
    # Everything but the question is known: straight to the summary.
    assert "Xác nhận" in [label for label, _ in chat.buttons]
    await chat.press_label("Xác nhận")
    async with app.services.db.session() as s:
        demand = (await s.execute(select(Demand))).scalar_one()
    assert demand.type == "ip_support" and demand.details["topic"] == "gi"


@pytest.mark.parametrize(("text", "area", "topic"), [
    ("bao ho hinh dang chai nuoc mam", "ip", "des"),
    ("dang ky ban quyen phan mem", "ip", "cr"),
    ("vay von de doi moi cong nghe", "fund", "natif"),
    ("tinh co ho tro gi khong", "fund", "qtinh"),
    ("ho tro xay dung nhan hieu tap the", "fund", "ipdev"),
    ("co chuong trinh nao cho san pham chu luc", "fund", "dmcn"),
])
def test_everyday_phrasings(text: str, area: str, topic: str) -> None:
    found = match_topic(text, IP_TOPICS if area == "ip" else FUNDING_TOPICS)
    assert found is not None and found.id == topic


def test_copyright_points_to_the_right_office() -> None:
    from handlers.knowledge.base import render_topic
    from handlers.knowledge.ip import COPYRIGHT

    assert "Cục Bản quyền tác giả" in render_topic(COPYRIGHT)
