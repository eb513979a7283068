"""Slot parsers: what enterprises really type."""

from __future__ import annotations

import pytest

from handlers import parsers
from handlers.parsers import Invalid


@pytest.mark.parametrize(("text", "expected"), [
    ("0912345678", "0912345678"), ("0912 345 678", "0912345678"), ("+84 912 345 678", "0912345678"),
    ("sdt của em là 0987.654.321 nhé", "0987654321"), ("02438251234", "02438251234"),
])
def test_phone(text: str, expected: str) -> None:
    assert parsers.phone(text) == expected


@pytest.mark.parametrize("text", ["091234567", "0112345678", "12345678901", "abc"])
def test_bad_phone(text: str) -> None:
    with pytest.raises(Invalid, match="Số điện thoại chưa đúng"):
        parsers.phone(text)


def test_contact_accepts_phone_email_or_both() -> None:
    assert parsers.contact("Minh@CongTy.vn") == {"email": "minh@congty.vn"}
    assert parsers.contact("0912345678 hoặc minh@congty.vn") == {
        "email": "minh@congty.vn", "phone": "0912345678"}
    with pytest.raises(Invalid, match="số điện thoại"):
        parsers.contact("gọi cho tôi nhé")
    with pytest.raises(Invalid):
        parsers.contact("minh@@congty")


@pytest.mark.parametrize(("text", "amount"), [
    ("500 trieu", 500_000_000), ("500tr", 500_000_000), ("1,5 tỷ", 1_500_000_000),
    ("1.5 ty", 1_500_000_000), ("2 tỷ đồng", 2_000_000_000), ("khoảng 800 triệu đồng", 800_000_000),
    ("1.500.000.000", 1_500_000_000), ("2 ty 500", 2_500_000_000), ("tầm nửa tỷ", 500_000_000),
])
def test_money(text: str, amount: int) -> None:
    assert parsers.money(text) == amount


def test_money_refuses_what_is_not_money() -> None:
    for text in ("300", "nhiều lắm"):  # "chưa biết" is an answer: see test_validation.py
        with pytest.raises(Invalid):
            parsers.money(text)
    assert parsers.show_money(500_000_000) == "500 triệu đồng"
    assert parsers.show_money(1_500_000_000) == "1,5 tỷ đồng"


def test_province_old_names_map_to_the_new_unit_and_say_so() -> None:
    value = parsers.province("ở bac giang")
    assert value["id"] == "bac_ninh"
    assert parsers.show_province(value) == "Bắc Giang (nay thuộc tỉnh Bắc Ninh)"
    assert parsers.show_province(parsers.province("Bình Dương")) == (
        "Bình Dương (nay thuộc TP. Hồ Chí Minh)")
    assert parsers.show_province(parsers.province("Hải Dương")) == (
        "Hải Dương (nay thuộc thành phố Hải Phòng)")
    assert parsers.show_province(parsers.province("Hà Nội")) == "Hà Nội"
    with pytest.raises(Invalid):
        parsers.province("xyz")


def test_sector_keywords_respect_diacritics_of_short_words() -> None:
    assert parsers.sector("công nghệ sấy vải") == "agri_processing"
    assert parsers.sector("cong nghe say vai") == "agri_processing"
    assert parsers.sector("Chăn nuôi, thú y") == "livestock"
    assert parsers.rank_sectors("bỏ qua") == []  # "bò" is livestock, "bỏ" is not
    assert parsers.rank_sectors("ai đó giúp em") == []


def test_yes_no_and_consent() -> None:
    assert parsers.yes_no("Đồng ý ạ") is True and parsers.yes_no("ko") is False
    assert parsers.yes_no("có lẽ") is None
    assert parsers.consent("ok") is True
    with pytest.raises(Invalid, match="chưa thể liên hệ"):
        parsers.consent("không đồng ý")


def test_pick_from_a_closed_list() -> None:
    parse = parsers.pick({"sale": "Mua bán, chuyển nhượng", "licence": "Li-xăng"}, "hình thức")
    assert parse("mua ban") == "sale" and parse("sale") == "sale"
    with pytest.raises(Invalid, match="hình thức"):
        parse("tặng")
