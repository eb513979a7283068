import pytest

from nlu.money import parse_money


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("500 triệu", 500_000_000),
        ("500tr", 500_000_000),
        ("500 trieu", 500_000_000),
        ("1,5 tỷ", 1_500_000_000),
        ("1.5 ty", 1_500_000_000),
        ("2 tỷ đồng", 2_000_000_000),
        ("200 nghìn", 200_000),
        ("300k", 300_000),
        ("khoảng 1 tỷ rưỡi", 1_500_000_000),
        ("tầm 2 tỷ 5", 2_500_000_000),
        ("1 tỷ 200 triệu", 1_200_000_000),
        ("500.000.000 đồng", 500_000_000),
        ("năm trăm triệu", 500_000_000),
        ("nửa tỷ", 500_000_000),
        ("1.500 triệu", 1_500_000_000),
        ("200 triệu VNĐ", 200_000_000),
    ],
)
def test_amounts(text: str, value: int) -> None:
    assert parse_money(text) == value


@pytest.mark.parametrize("text", ["cần 3 máy", "trieu phu", "năm 2025", "tr ang web", ""])
def test_no_amount(text: str) -> None:
    assert parse_money(text) is None
