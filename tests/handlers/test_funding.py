"""Funding questions (handlers/funding.py, handlers/knowledge/funding.py): which programme a
question is about, and the programmes offered to a vague one."""

from __future__ import annotations

import pytest

from handlers.knowledge.base import match_topic
from handlers.knowledge.funding import FUNDING_TOPICS
from tests.handlers.chat import NOW, Bot, OpenBot, connection_point


@pytest.fixture
async def bot(open_bot: OpenBot) -> Bot:
    return await open_bot(connection_point(), seeded=False, now=NOW)


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


@pytest.mark.parametrize(("text", "topic"), [
    ("vay von de doi moi cong nghe", "natif"),
    ("tinh co ho tro gi khong", "qtinh"),
    ("ho tro xay dung nhan hieu tap the", "ipdev"),
    ("co chuong trinh nao cho san pham chu luc", "dmcn"),
])
def test_everyday_phrasings(text: str, topic: str) -> None:
    found = match_topic(text, FUNDING_TOPICS)
    assert found is not None and found.id == topic


async def test_vague_funding_question_offers_programmes(bot: Bot) -> None:
    chat = bot.chat()
    await chat.send("xin ho tro kinh phi")
    assert "NATIF" in chat.text
    await chat.press_payload("fund:t:dmcn")
    assert "118/QĐ-TTg" in chat.text and "Sở KH&CN" in chat.text
