import unicodedata
from typing import Any

import pytest

from nlu.extractors import EntityPipeline
from nlu.normalize import normalize

PIPE = EntityPipeline.build()


def ents(text: str, kind: str | None = None) -> list[dict[str, Any]]:
    found = PIPE.extract(normalize(text))
    return [e for e in found if kind is None or e["entity"] == kind]


def values(text: str, kind: str) -> list[Any]:
    return [e["value"] for e in ents(text, kind)]


@pytest.mark.parametrize(
    ("text", "name", "pid", "mentioned"),
    [
        ("doanh nghiệp ở Bắc Giang", "Bắc Ninh", "bac_ninh", "Bắc Giang"),
        ("doanh nghiep o bac giang", "Bắc Ninh", "bac_ninh", "bac giang"),
        ("tinh Bac Giang", "Bắc Ninh", "bac_ninh", "Bac Giang"),
        ("cty ở tp hcm", "TP. Hồ Chí Minh", "ho_chi_minh", "tp hcm"),
        ("xưởng ở Bình Dương", "TP. Hồ Chí Minh", "ho_chi_minh", "Bình Dương"),
        ("kho lạnh ở sg", "TP. Hồ Chí Minh", "ho_chi_minh", "sg"),
        ("vùng Hà Giang", "Tuyên Quang", "tuyen_quang", "Hà Giang"),
        ("htx o Ben Tre", "Vĩnh Long", "vinh_long", "Ben Tre"),
        ("Quảng Nam", "Đà Nẵng", "da_nang", "Quảng Nam"),
        ("o thua thien hue", "Huế", "hue", "thua thien hue"),
        ("Hà Nội", "Hà Nội", "ha_noi", "Hà Nội"),
    ],
)
def test_province_maps_old_names_to_the_unit_in_force(
    text: str, name: str, pid: str, mentioned: str
) -> None:
    (p,) = ents(text, "province")
    assert (p["value"], p["id"], p["mentioned"]) == (name, pid, mentioned)
    assert text[p["start"] : p["end"]] == mentioned


@pytest.mark.parametrize(
    "text",
    ["DN cần công nghệ sấy", "dn minh can may", "hn mình rảnh", "hoa huệ trắng",
     "chúng ta cần hòa bình", "sơn là vật liệu phủ"],
)
def test_ordinary_words_are_not_provinces(text: str) -> None:
    assert ents(text, "province") == []


def test_province_offsets_survive_nfd_input() -> None:
    text = unicodedata.normalize("NFD", "cần máy ở Đắk Nông nhé")
    (p,) = ents(text, "province")
    assert p["value"] == "Lâm Đồng"
    assert unicodedata.normalize("NFC", text[p["start"] : p["end"]]) == "Đắk Nông"


@pytest.mark.parametrize(
    ("text", "sector"),
    [
        ("cần kho lạnh bảo quản", "post_harvest"),
        ("can kho lanh bao quan", "post_harvest"),
        ("xử lý nước thải chăn nuôi", "environment"),
        ("xu ly nuoc thai", "environment"),
        ("phần mềm chuyển đổi số", "digital"),
        ("chuyen doi so", "digital"),
    ],
)
def test_sector(text: str, sector: str) -> None:
    assert sector in values(text, "sector")


def test_ai_only_counts_when_written_as_the_acronym() -> None:
    assert "digital" in values("ứng dụng AI trong nông nghiệp", "sector")
    assert "digital" not in values("có ai biết không", "sector")


@pytest.mark.parametrize(
    ("text", "product"),
    [
        ("công nghệ sấy vải thiều", "vải thiều"),
        ("cong nghe say vai thieu", "vải thiều"),
        ("bảo quản cà phê", "cà phê"),
        ("bao quan ca phe", "cà phê"),
        ("nuôi tôm thẻ", "tôm"),
        ("chế biến cá basa", "cá tra"),
        ("sấy hạt điều", "hạt điều"),
    ],
)
def test_product_canonical_name(text: str, product: str) -> None:
    assert values(text, "product") == [product]


@pytest.mark.parametrize(
    "text",
    ["đăng ký nhãn hiệu", "cam on ban", "điều kiện tham gia", "công nghệ mới", "liên lạc với ai",
     "tiêu chuẩn sản phẩm", "nhận chuyển giao"],
)
def test_ordinary_words_are_not_products(text: str) -> None:
    assert values(text, "product") == []


@pytest.mark.parametrize(
    ("text", "phone"),
    [
        ("sdt 0912345678", "0912345678"),
        ("gọi 0912 345 678 nhé", "0912345678"),
        ("so dt 091.234.5678", "0912345678"),
        ("+84 912 345 678", "0912345678"),
        ("+84912345678", "0912345678"),
        ("máy bàn 024 3825 1234", "02438251234"),
        ("zalo 0387654321", "0387654321"),
    ],
)
def test_phone(text: str, phone: str) -> None:
    (p,) = ents(text, "phone")
    assert p["value"] == phone
    assert p["extractor"] == "RegexEntityExtractor"


def test_not_a_phone() -> None:
    assert ents("mã 0112345678", "phone") == []
    assert ents("năm 2024 có 12345 lượt", "phone") == []


def test_email_keeps_what_was_written() -> None:
    (e,) = ents("liên hệ Nguyen.Van@congty.com.vn nhé", "email")
    assert e["value"] == "Nguyen.Van@congty.com.vn"


@pytest.mark.parametrize(
    ("text", "code"),
    [("MST 0101234567", "0101234567"), ("mã số thuế: 0312345678", "0312345678"),
     ("ma so thue 0312345678-001", "0312345678-001"), ("chi nhánh 0101234567-002", "0101234567-002")],
)
def test_tax_code(text: str, code: str) -> None:
    assert values(text, "tax_code") == [code]
    assert values(text, "phone") == []


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("hội chợ công nghệ năm nay", "techmart"),
        ("hoi cho cong nghe", "techmart"),
        ("lịch Techmart", "techmart"),
        ("có techdemo không", "techdemo"),
        ("techfest 2025", "techfest"),
        ("hội thảo chuyển đổi số", "workshop"),
        ("hoi thao", "workshop"),
        ("lớp tập huấn bảo quản", "training"),
        ("khoa dao tao", "training"),
        ("phiên kết nối cung cầu", "connection_session"),
        ("phien ket noi", "connection_session"),
    ],
)
def test_event_kind(text: str, kind: str) -> None:
    assert values(text, "event_kind") == [kind]


def test_budget_entity_offsets() -> None:
    text = "ngân sách khoảng 1,5 tỷ đồng"
    (b,) = ents(text, "budget")
    assert b["value"] == 1_500_000_000
    assert text[b["start"] : b["end"]] == "1,5 tỷ đồng"


def test_entity_shape_is_rasa_like() -> None:
    for e in ents("cần máy sấy vải thiều ở Bắc Giang, 500tr, sdt 0912345678"):
        assert {"entity", "value", "start", "end", "confidence_entity", "extractor"} <= set(e)
        assert 0 <= e["start"] < e["end"]


@pytest.mark.parametrize(
    ("text", "name", "mentioned"),
    [
        ("cty o Ha Tay", "Hà Nội", "Ha Tay"),
        ("xưởng mộc ở Hà Tây cũ", "Hà Nội", "Hà Tây"),
        ("hợp tác xã tỉnh Hà Bắc trước đây", "Bắc Ninh", "Hà Bắc"),
        ("vung Vinh Phu", "Phú Thọ", "Vinh Phu"),
        ("nông trường ở Bắc Thái", "Thái Nguyên", "Bắc Thái"),
        ("cơ sở ở tỉnh Minh Hải", "Cà Mau", "Minh Hải"),
        ("Quảng Nam - Đà Nẵng", "Đà Nẵng", "Quảng Nam - Đà Nẵng"),
        ("tỉnh Hà Nam Ninh cũ", "Ninh Bình", "Hà Nam Ninh"),
    ],
)
def test_provinces_abolished_before_2008_map_to_the_unit_in_force(
    text: str, name: str, mentioned: str
) -> None:
    (p,) = ents(text, "province")
    assert (p["value"], p["mentioned"]) == (name, mentioned)


def test_old_names_that_are_also_people_or_mountains_need_a_place_cue() -> None:
    assert ents("anh Minh Hải bên em cần máy sấy", "province") == []
    assert ents("trekking dãy hoàng liên sơn", "province") == []


def test_find_province_resolves_hà_tây_as_written_in_forms() -> None:
    from nlu.taxonomy import find_province

    assert [find_province(t).name for t in ("Hà Tây", "ha tay", "tỉnh Hà Tây")] == ["Hà Nội"] * 3
