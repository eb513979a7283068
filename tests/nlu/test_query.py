"""The search query is the need, not the person; contact details are found for the forms."""

import random

import pytest

from nlu.noise import noisy, noisy_copy, telex
from nlu.query import contact_in, need_terms

FIRST = ("Em là Nguyễn Văn Nam, Công ty TNHH Minh Phát ở Hà Tây, sđt 0912345678. Em cần máy "
         "sấy nấm bằng điện, liệu có nên dùng sấy lạnh không")


def test_names_contacts_companies_places_and_filler_stay_out_of_the_query() -> None:
    terms = need_terms(FIRST)
    assert {"may", "say", "nam", "lanh"} <= set(terms)  # "nam" here is nấm, the need
    assert not {"nguyen", "van", "minh", "phat", "ha", "tay", "so", "thoai", "0912345678",
                "bang", "lieu", "nen", "co", "dung"} & set(terms)
    assert need_terms("anh Nam cần máy bóc vỏ lạc") == ["may", "boc", "vo", "lac"]


@pytest.mark.parametrize(("text", "kept"), [
    ("cty minh can may say vai", ["may", "say", "vai"]),  # máy, vải typed plain are kept
    ("chiet xuat tinh dau que quy mo nho, lien he 0987654321", ["chiet", "xuat", "tinh", "dau",
                                                                "que"]),
    ("HTX Cà phê Tây Nguyên cần xử lý nước thải", ["ca", "phe", "xu", "ly", "nuoc", "thai"]),
])
def test_words_of_the_need_survive_without_diacritics_and_inside_names(
        text: str, kept: list[str]) -> None:
    assert set(kept) <= set(need_terms(text))


def test_contact_details_of_a_first_message() -> None:
    c = contact_in(FIRST)
    assert (c.name, c.phone, c.organisation) == ("Nguyễn Văn Nam", "0912345678",
                                                 "Công ty TNHH Minh Phát")
    lan = contact_in("tôi tên Lan, HTX Tân Lập, email lan@htx.vn, cần kho lạnh")
    assert (lan.name, lan.email, lan.organisation) == ("Lan", "lan@htx.vn", "HTX Tân Lập")
    assert contact_in("cần công nghệ sấy vải thiều ở Bắc Giang") == contact_in("")


def test_noise_model_types_like_people_do() -> None:
    assert telex("sấy") == "saays" and telex("được") == "dduwowcj"
    rng = random.Random(1)
    text = "doanh nghiệp chúng tôi cần công nghệ sấy vải thiều"
    variants = {noisy(text, rng) for _ in range(20)}
    assert len(variants) > 10 and text not in variants
    assert noisy_copy(text) == noisy_copy(text)  # the same copy in every fold
