"""Intellectual-property questions (handlers/ip.py, handlers/knowledge/ip.py): which topic a
question is about, and what the answer tells the user to prepare."""

from __future__ import annotations

import pytest

from handlers.knowledge.base import match_topic, render_topic
from handlers.knowledge.ip import COPYRIGHT, IP_TOPICS
from tests.handlers.chat import NOW, Bot, OpenBot, connection_point


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(connection_point(), seeded=False, now=NOW)


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
    ("bao ho hinh dang chai nuoc mam", "des"),
    ("dang ky ban quyen phan mem", "cr"),
])
def test_everyday_phrasings(text: str, topic: str) -> None:
    found = match_topic(text, IP_TOPICS)
    assert found is not None and found.id == topic


async def test_trademark_answer_says_what_to_prepare(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("dang ky nhan hieu cho san pham")
    assert "Đăng ký nhãn hiệu" in chat.text
    assert "Hồ sơ, thông tin cần chuẩn bị" in chat.text and "Nice" in chat.text
    assert "10 năm" in chat.text and "Cục Sở hữu trí tuệ" in chat.text
    labels = chat.labels
    assert "Đăng ký tư vấn" in labels and "Gặp cán bộ" in labels


async def test_geographical_indication_answer_differs_from_trademark(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("lam chi dan dia ly cho vai thieu")
    assert "Chỉ dẫn địa lý" in chat.text and "Bản đồ khu vực địa lý" in chat.text
    assert "Bảng phân loại Nice" not in chat.text


async def test_ip_question_about_money_mentions_support_programme(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("đăng ký sáng chế có được hỗ trợ kinh phí không")
    if any(p.startswith("fb:") for p in chat.payloads):  # NLU unsure: confirm the intent
        await chat.press_payload("fb:ip_support")
    assert "phát triển tài sản trí tuệ" in chat.text
    # The IP procedure is one button away whichever intent the NLU picked.
    if "Hồ sơ" not in chat.text or "Sáng chế" not in chat.text:
        await chat.press("Thủ tục: Sáng chế")
    assert "Sáng chế và giải pháp hữu ích" in chat.text and "42 tháng" in chat.text


def test_copyright_points_to_the_right_office() -> None:
    assert "Cục Bản quyền tác giả" in render_topic(COPYRIGHT)
