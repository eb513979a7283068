"""Messages typed without diacritics, and the words that change meaning with them: the bot's own
model must find the product in "bao quan xoai" and read who seeks and who offers whatever the
writer says about their firm first."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from nlu.api import EmbeddedBackend
from nlu.classifier import stripped_copy
from nlu.extractors import EntityPipeline
from nlu.features import FeatureConfig, featurize
from nlu.loader import load_data
from nlu.normalize import tokenize
from nlu.pipeline import PipelineConfig


def _products(result: dict[str, Any]) -> list[tuple[str, str]]:
    text = result["text"]
    return [(text[e["start"]:e["end"]], e["value"]) for e in result["entities"]
            if e["entity"] == "product"]


@pytest.mark.parametrize(("text", "surface", "product"), [
    ("trai minh nuoi 500 con bo, can cong nghe xu ly phan", "bo", "bò"),
    ("cty em can cong nghe bao quan xoai xuat khau", "xoai", "xoài"),
    ("minh can may boc vo ngo cho htx", "ngo", "ngô"),
    ("can may sao che cho htx o thai nguyen", "che", "chè"),
])
async def test_a_bare_one_syllable_product_is_found_by_its_context(
        nlu: EmbeddedBackend, text: str, surface: str, product: str) -> None:
    assert (surface, product) in _products(await nlu.parse(text))


async def test_a_bare_word_that_is_no_product_stays_none(nlu: EmbeddedBackend) -> None:
    # "nam" (năm = year), "bo" (bỏ = remove) are not nấm or bò here.
    assert _products(await nlu.parse("xin chao, nam nay em muon tim may bo vo")) == []


def test_soft_hints_only_when_the_data_asks_for_stripped_copies(tmp_path: Path) -> None:
    tokens = tokenize("nuoi ca long")
    plain_pipe = EntityPipeline.build()
    assert plain_pipe.gazetteer.soft_matches(tokens, []) == []
    data = tmp_path / "nlu.yml"
    data.write_text('version: "3.1"\nnlu:\n- intent: need\n  examples: |\n'
                    "    - cần nuôi [cá](product) lồng\n    - tìm giống [tôm](product)\n"
                    "- intent: other\n  examples: |\n    - chào\n    - cảm ơn\n",
                    encoding="utf-8")
    pipe = EntityPipeline.build(replace(load_data([data]), config=PipelineConfig(crf_stripped=True)))
    soft = pipe.gazetteer.soft_matches(tokens, [])
    assert [(m.start, m.entry.value) for m in soft] == [(1, "cá")]
    # With diacritics typed, a word must carry the name's own: "cà" is no "cá".
    assert pipe.gazetteer.soft_matches(tokenize("nuôi cà lồng"), []) == []


def test_concepts_respect_the_diacritics_typed() -> None:
    cfg = FeatureConfig()
    assert "#UNSUBSCRIBE" not in featurize("lò nung dùng khí than", cfg)
    assert "#UNSUBSCRIBE" in featurize("tôi muốn dừng nhận tin", cfg)
    assert "#UNSUBSCRIBE" in featurize("toi muon dung nhan tin", cfg)  # bare: either reading


SEEKING_AFTER_SAYING_WHAT_THEY_SELL = [
    "công ty tôi chuyên phân phối phân bón, nay muốn tự sản xuất nên cần tìm công nghệ ép viên",
    "Bên em là nhà cung cấp rau cho bếp ăn trường học. Em đang cần một kho lạnh nhỏ để giữ rau "
    "qua đêm.",
    "tôi sở hữu 3 ha đất trồng bưởi và muốn tìm công nghệ tưới tự động",
]
OFFERING_WITH_A_SEARCH = [
    "xưởng tôi cần tìm nhà phân phối cho máy thái chuối đã chế tạo xong",
    "bên mình đang tìm khách cho dòng lò sấy bơm nhiệt mới",
]


@pytest.mark.parametrize("text", SEEKING_AFTER_SAYING_WHAT_THEY_SELL)
async def test_a_supplier_who_asks_for_a_technology_is_seeking(nlu: EmbeddedBackend,
                                                               text: str) -> None:
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "find_technology", typed


@pytest.mark.parametrize("text", OFFERING_WITH_A_SEARCH)
async def test_searching_for_buyers_is_offering(nlu: EmbeddedBackend, text: str) -> None:
    for typed in (text, stripped_copy(text)):
        assert (await nlu.parse(typed))["intent"]["name"] == "offer_technology", typed


@pytest.mark.parametrize("text", ["chốt nhé", "uhmmm", "oke la"])
async def test_short_replies_spelt_a_new_way_are_answers(nlu: EmbeddedBackend, text: str) -> None:
    assert (await nlu.parse(text))["intent"]["name"] == "affirm"


async def test_several_foreign_words_still_fall_back(nlu: EmbeddedBackend) -> None:
    assert (await nlu.parse("bonjour comment allez vous"))["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize("text", ["tóm tắt giúp em bài báo này", "hủy gói cước 5G giúp mình"])
async def test_everyday_requests_with_our_words_are_out_of_scope(nlu: EmbeddedBackend,
                                                                 text: str) -> None:
    for typed in (text, stripped_copy(text)):
        got = (await nlu.parse(typed))["intent"]["name"]
        assert got in ("out_of_scope", "nlu_fallback"), typed
