import shutil
from pathlib import Path
from typing import Any

import pytest

from nlu.api import load_engine
from nlu.engine import Engine
from nlu.training import read_meta

from .conftest import FIXTURE_DATA


def check_shape(result: dict[str, Any], text: str) -> None:
    assert set(result) == {"text", "intent", "entities", "intent_ranking"}
    assert result["text"] == text
    assert isinstance(result["intent"]["name"], str)
    assert 0.0 <= result["intent"]["confidence"] <= 1.0
    assert len(result["intent_ranking"]) <= 10
    for e in result["entities"]:
        assert 0 <= e["start"] <= e["end"] <= len(text)
        assert {"entity", "value", "start", "end", "confidence_entity", "extractor"} <= set(e)


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("xin chào trung tâm", "greet"),
        ("cam on anh nhieu", "thanks"),
        ("cần công nghệ sấy cà phê", "find_technology"),
        ("can cong nghe say ca phe", "find_technology"),
        ("sắp tới có hội chợ công nghệ không", "ask_events"),
    ],
)
def test_intents(engine: Engine, text: str, intent: str) -> None:
    result = engine.parse(text)
    check_shape(result, text)
    assert result["intent"]["name"] == intent


def test_ranking_is_sorted_probabilities(engine: Engine) -> None:
    ranking = engine.parse("cần máy sấy")["intent_ranking"]
    confs = [r["confidence"] for r in ranking]
    assert confs == sorted(confs, reverse=True)
    assert 0.9 <= sum(confs) <= 1.0 + 1e-6  # the internal fragment class is not listed


def test_fallback_when_unsure_keeps_the_ranking(engine: Engine) -> None:
    strict = Engine(engine.intent_model, engine.entities, type(engine.fallback)(0.999, 0.0))
    result = strict.parse("cần máy sấy cà phê")
    assert result["intent"] == {"name": "nlu_fallback", "confidence": 0.999}
    assert result["intent_ranking"][0]["name"] == "nlu_fallback"
    assert result["intent_ranking"][1]["name"] == "find_technology"


def test_ambiguity_threshold_triggers_fallback(engine: Engine) -> None:
    wide = Engine(engine.intent_model, engine.entities, type(engine.fallback)(0.0, 1.0))
    assert wide.parse("xin chào")["intent"]["name"] == "nlu_fallback"


@pytest.mark.parametrize(
    "text",
    ["", "   ", "\n\t", "😀😀😀", "🙏", "\x00\x01\x02 \x7f", "Привет, как дела?", "你好吗",
     "مرحبا", "asdkjh qwezx zxcvb", "????", "12345"],
)
def test_bad_input_gives_fallback_or_out_of_scope(engine: Engine, text: str) -> None:
    result = engine.parse(text)
    check_shape(result, text)
    assert result["intent"]["name"] in {"nlu_fallback", "out_of_scope"}


def test_weather_is_not_in_domain(engine: Engine) -> None:
    assert engine.parse("thời tiết ngày mai thế nào")["intent"]["name"] in {
        "nlu_fallback", "out_of_scope"}


def test_long_input_is_cut_for_classification_but_offsets_stay_valid(engine: Engine) -> None:
    text = "cần công nghệ sấy cà phê. " * 400 + "liên hệ 0912345678"
    assert len(text) > 10_000
    result = engine.parse(text)
    check_shape(result, text)
    assert result["intent"]["name"] == "find_technology"
    phone = [e for e in result["entities"] if e["entity"] == "phone"]
    assert phone and text[phone[0]["start"] : phone[0]["end"]] == "0912345678"


def test_non_string_input_does_not_raise(engine: Engine) -> None:
    result = engine.parse(None)  # type: ignore[arg-type]
    assert result["intent"]["name"] == "nlu_fallback"


def test_crf_tags_free_form_entities_no_rule_covers(engine: Engine) -> None:
    text = "bên mình cần thiết bị ly tâm tách tinh bột"
    result = engine.parse(text)
    (process,) = [e for e in result["entities"] if e["entity"] == "process"]
    assert process["extractor"] == "CRFEntityExtractor"
    assert text[process["start"] : process["end"]] == "ly tâm"
    assert process["value"] == "centrifuge"  # synonym learnt from the annotation
    assert 0.0 < process["confidence_entity"] <= 1.0


def test_lookup_and_synonym_from_data(engine: Engine) -> None:
    ents = engine.parse("cần máy ép viên thức ăn")["entities"]
    assert any(e["entity"] == "process" and e["extractor"] == "LookupEntityExtractor"
               for e in ents)


def test_regex_from_data(engine: Engine) -> None:
    ents = engine.parse("yêu cầu YC-4321 đến đâu rồi")["entities"]
    assert [e["value"] for e in ents if e["entity"] == "order_code"] == ["YC-4321"]


def test_rules_win_over_the_crf(engine: Engine) -> None:
    ents = engine.parse("lịch techmart năm nay")["entities"]
    kinds = [e for e in ents if e["entity"] == "event_kind"]
    assert [(k["value"], k["extractor"]) for k in kinds] == [("techmart", "LookupEntityExtractor")]


def test_thresholds_are_stored_and_overridable(model_dir: Path) -> None:
    meta = read_meta(model_dir)
    assert 0.0 < float(meta["threshold"]) < 1.0  # type: ignore[arg-type]
    engine = load_engine(model_dir, train_if_needed=False, threshold=0.77,
                         ambiguity_threshold=0.05)
    assert (engine.fallback.threshold, engine.fallback.ambiguity_threshold) == (0.77, 0.05)


def test_retrains_when_data_changes(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(FIXTURE_DATA, data)
    model = tmp_path / "model"
    first = load_engine(model, data=[data])
    assert load_engine(model, data=[data]) is first  # cached, nothing changed
    extra = data / "more.yml"
    extra.write_text('version: "3.1"\nnlu:\n- intent: goodbye\n  examples: |\n'
                     + "".join(f"    - tạm biệt {w}\n" for w in ["anh", "chị", "nhé", "ạ", "bạn"]),
                     encoding="utf-8")
    second = load_engine(model, data=[data])
    assert second is not first
    assert "goodbye" in second.intents


def test_fast_scores_match_the_reference_weighting(engine: Engine) -> None:
    from nlu.normalize import normalize

    model = engine.intent_model
    for text in ["cần máy sấy cà phê ở Bắc Giang", "xin chao", "lịch techmart", "zzz qqq"]:
        norm = normalize(text)
        assert model.scores(norm) == pytest.approx(model.slow_scores(norm), abs=1e-4)


def test_huge_input_is_bounded(engine: Engine) -> None:
    text = "xin chào " * 200_000
    result = engine.parse(text)
    assert result["text"] == text
    assert result["intent"]["name"] == "greet"
    assert all(e["end"] <= 20_000 for e in result["entities"])


def test_nfd_input_parses_like_nfc_with_offsets_into_the_nfd_text(engine: Engine) -> None:
    import unicodedata

    nfc = "Cần công nghệ sấy cà phê ở Bắc Giang"
    nfd = unicodedata.normalize("NFD", nfc)
    a, b = engine.parse(nfc), engine.parse(nfd)
    assert a["intent"]["name"] == b["intent"]["name"] == "find_technology"
    (prov,) = [e for e in b["entities"] if e["entity"] == "province"]
    assert prov["value"] == "Bắc Ninh"
    assert unicodedata.normalize("NFC", nfd[prov["start"] : prov["end"]]) == "Bắc Giang"


@pytest.mark.parametrize(
    "text", ["Nguyễn Thị Lan", "Bắc Giang", "500 triệu", "Công ty TNHH Minh Phát", "tran van minh"]
)
def test_bare_answers_have_no_intent(engine: Engine, text: str) -> None:
    """A name, place or amount typed into a form is not an out-of-scope request."""
    result = engine.parse(text)
    assert result["intent"]["name"] == "nlu_fallback"
    assert all(not r["name"].startswith("_") for r in result["intent_ranking"])
    assert "_fragment" not in engine.intents


def test_mostly_foreign_script_is_not_an_intent(engine: Engine) -> None:
    assert engine.parse("Привет, как дела? ok")["intent"]["name"] == "nlu_fallback"
    assert engine.parse("xin chào 你好")["intent"]["name"] == "greet"
