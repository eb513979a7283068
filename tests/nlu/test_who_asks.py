"""Who does what: the same words ("cung cấp", "chuyển giao", "đối tác") serve the one who seeks a
technology and the one who offers it; the bot's own model must tell them apart, with or without
diacritics, and in long messages that tell their story before the ask."""

from __future__ import annotations

import pytest

from nlu.api import EmbeddedBackend
from nlu.classifier import stripped_copy
from nlu.features import FeatureConfig, featurize

SEEKING = [
    "nhà máy em cần tìm đơn vị cung cấp hệ thống sấy lạnh cho hành tím",
    "có bên nào chuyển giao cho bên mình công nghệ làm phân vi sinh từ vỏ cà phê không",
    "cty tôi muốn mua lại quy trình ủ men bia thủ công quy mô nhỏ",
    "Xưởng tôi làm đậu phụ đã 10 năm, nước thải nhiều và chua. Hàng xóm phàn nàn suốt. "
    "Tôi cần công nghệ xử lý nước thải phù hợp với xưởng nhỏ.",
]
OFFERING = [
    "viện tôi có công nghệ sấy thăng hoa, muốn tìm doanh nghiệp nhận chuyển giao",
    "bên em sản xuất được máy tách hạt ngô mini, đang cần đầu ra ở các tỉnh",
    "chúng tôi có nhu cầu chuyển giao quy trình nuôi lươn không bùn cho các hộ",
]


@pytest.mark.parametrize("text", SEEKING)
async def test_seeking_with_the_words_of_a_provider_is_seeking(nlu: EmbeddedBackend,
                                                               text: str) -> None:
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "find_technology", typed


@pytest.mark.parametrize("text", OFFERING)
async def test_offering_is_offering(nlu: EmbeddedBackend, text: str) -> None:
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "offer_technology", typed


async def test_tell_me_when_is_a_subscription(nlu: EmbeddedBackend) -> None:
    text = "khi nào có hội chợ công nghệ ở Huế thì nhắn em với nhé"
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "subscribe", typed


def test_concept_pairs_say_who_does_what() -> None:
    cfg = FeatureConfig()
    assert "#NEED>PROVIDER" in featurize("cần đơn vị cung cấp công nghệ sấy", cfg)
    assert "#SELF>OFFER" in featurize("chúng tôi có công nghệ sấy", cfg)
    assert "#NEED>PROVIDER" in featurize("can don vi cung cap cong nghe say", cfg)
    assert not [k for k in featurize("công nghệ sấy vải", cfg) if k[0] == "#" and ">" in k]
