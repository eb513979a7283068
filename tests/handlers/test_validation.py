"""Names, phones and money are checked with a reason the user understands (Vietnamese)."""

from __future__ import annotations

import pytest

from bot.incoming_text import clean
from bot.types import Incoming
from handlers import parsers
from handlers.parsers import Invalid
from tests.handlers.chat import Bot, Chat


@pytest.mark.parametrize("typed", ["1", "2", "  3 ", "-", "\ufffd[A", "A"])
def test_a_number_or_a_stray_key_is_not_an_organisation(typed: str) -> None:
    with pytest.raises(Invalid) as caught:
        parsers.organisation(typed)
    reason = str(caught.value)
    assert "tên doanh nghiệp" in reason and "Công ty TNHH" in reason


def test_escape_sequences_from_arrow_keys_are_unreadable_not_a_name() -> None:
    typed = clean(Incoming("console", "u", "u", text="\x1b[A\x1b[B")).text
    assert typed == "\ufffd[A\ufffd[B"
    with pytest.raises(Invalid, match="chưa đọc được"):
        parsers.organisation(typed)


@pytest.mark.parametrize("name", ["Công ty TNHH Minh Phát", "HTX Rau sạch An Lạc", "3T Group",
                                  "Cty CP 19-5"])
def test_real_organisation_names_pass(name: str) -> None:
    assert parsers.organisation(name) == name


@pytest.mark.parametrize(("typed", "reason"), [
    ("0912345678", "họ tên người tham dự"), ("lan@congty.vn", "họ tên người tham dự"),
    ("X", "chưa phải là họ tên"),
])
def test_a_phone_or_a_number_is_not_a_person_name(typed: str, reason: str) -> None:
    with pytest.raises(Invalid, match=reason):
        parsers.person_name(typed)
    assert parsers.person_name("Nguyễn Thị Lan") == "Nguyễn Thị Lan"


@pytest.mark.parametrize("typed", ["chưa biết", "chua biet", "Chưa biết ạ", "em cũng chưa rõ",
                                   "khong biet", "chưa tính"])
def test_not_knowing_the_budget_is_an_answer(typed: str) -> None:
    assert parsers.money(typed) is None
    assert parsers.show_money(None) == "chưa xác định"


def test_an_absurd_amount_is_questioned() -> None:
    with pytest.raises(Invalid, match="lớn bất thường"):
        parsers.money("99999999999 tỷ")
    assert parsers.money("5000 tỷ") == 5 * 10**12


async def test_budget_unknown_in_a_dialogue(chat: Chat, bot: Bot) -> None:
    await chat.send("cần giải pháp tiết kiệm điện cho nhà xưởng ở Thái Bình")
    while "Kinh phí dự kiến" not in chat.text:  # sector/product questions depend on the NLU
        await chat.press("Bỏ qua") if chat.has_button("Bỏ qua") else await chat.send("Năng lượng")
    await chat.send("chưa biết")
    assert "chưa đọc được số tiền" not in chat.text and "tên doanh nghiệp" in chat.text
    await chat.send("1")
    assert "“1” chưa phải là tên đơn vị" in chat.text
    await chat.send("HTX chăn nuôi Đông Hưng")
    await chat.send("0912345678")
    await chat.press("Đồng ý")
    assert "Kinh phí dự kiến: chưa xác định" in chat.text
    await chat.press("Xác nhận")
    [demand] = await bot.demands()
    assert demand.budget is None and "nhu cầu số" in chat.text
