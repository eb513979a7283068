"""A model trained on another project's Rasa data answers with that data's intents and entity
types, and serving or evaluating it never changes it."""

import json
from pathlib import Path

import pytest

from nlu.__main__ import main
from nlu.api import load_engine
from nlu.engine import Engine
from nlu.extractors import EntityPipeline
from nlu.normalize import normalize
from nlu.pipeline import BUILTIN_TYPES, from_pipeline
from nlu.store import META_FILE, ModelError

from .conftest import FIXTURES

FLIGHTS = FIXTURES / "flights"
FLIGHT_TYPES = {"fromloc", "toloc", "fare_amount", "aircraft"}


@pytest.fixture(scope="module")
def flight_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("flights") / "model"
    assert main(["train", "--data", str(FLIGHTS), "--out", str(out)]) == 0
    return out


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def parse(model: Path, text: str, capsys: pytest.CaptureFixture[str]) -> dict:
    assert main(["parse", "--model", str(model), text]) == 0
    return json.loads(capsys.readouterr().out)


def test_parse_and_evaluate_serve_the_model_as_trained(
        flight_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    before = snapshot(flight_model)
    capsys.readouterr()
    out = parse(flight_model, "đặt giúp tôi vé máy bay từ hà nội đi phú quốc", capsys)
    assert out["intent"]["name"] == "book_flight"
    assert main(["evaluate", "--model", str(flight_model), "--data", str(FLIGHTS), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["accuracy"] > 0.8  # its own training data, not another domain's
    assert snapshot(flight_model) == before


def test_overlapping_entities_come_back_with_the_data_types(
        flight_model: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = parse(flight_model, "vé máy bay từ đà nẵng đi đà lạt dưới 2 triệu", capsys)
    found = {(e["entity"], out["text"][e["start"]:e["end"]]) for e in out["entities"]}
    assert {e for e, _ in found} <= FLIGHT_TYPES  # no province, sector or budget
    assert ("fromloc", "đà nẵng") in found and ("toloc", "đà lạt") in found
    assert not any(e["value"] in ("Lâm Đồng", "An Giang", "mechanics") for e in out["entities"])


def test_a_short_flight_is_no_amount_of_money() -> None:
    pipe = EntityPipeline.build()  # every built-in extractor
    found = pipe.extract(normalize("có chuyến bay ngắn nào ra Huế không"))
    assert [e for e in found if e["entity"] == "budget"] == []
    amounts = pipe.extract(normalize("ngân sách khoảng bảy trăm triệu"))
    assert [e["value"] for e in amounts if e["entity"] == "budget"] == [700_000_000]
    plain = pipe.extract(normalize("ngan sach khoang bay tram trieu"))
    assert [e["value"] for e in plain if e["entity"] == "budget"] == [700_000_000]


def test_a_model_from_another_engine_version_names_the_retrain_command(
        flight_model: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    old = tmp_path / "old"
    old.mkdir()
    for name, data in snapshot(flight_model).items():
        (old / name).write_bytes(data)
    meta = json.loads((old / META_FILE).read_text(encoding="utf-8"))
    meta["engine_version"] = "1.0.0"
    (old / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    before = snapshot(old)
    capsys.readouterr()
    assert main(["parse", "--model", str(old), "xin chào"]) == 1
    err = capsys.readouterr().err
    assert "python -m nlu train --data" in err and str(FLIGHTS.resolve()) in err
    with pytest.raises(ModelError):
        load_engine(old, train_if_needed=False)
    assert snapshot(old) == before


def test_the_bot_never_retrains_a_model_trained_on_other_data(flight_model: Path) -> None:
    before = snapshot(flight_model)
    engine = load_engine(flight_model)  # the bot's call: retrains only its own built-in model
    assert isinstance(engine, Engine) and "book_flight" in engine.intents
    assert snapshot(flight_model) == before


def test_config_pipeline_decides_extractors_and_thresholds() -> None:
    cfg = from_pipeline([
        {"name": "WhitespaceTokenizer"},
        {"name": "CRFEntityExtractor", "max_iterations": 30, "L1_c": 0.2, "L2_c": 0.3},
        {"name": "DucklingEntityExtractor", "dimensions": ["amount-of-money", "time"]},
        {"name": "FallbackClassifier", "threshold": 0.6},
    ])
    assert cfg.builtin_types({"province", "budget"}) == {"budget"}
    assert (cfg.crf, cfg.crf_iterations, cfg.crf_c1, cfg.crf_c2) == (True, 30, 0.2, 0.3)
    assert (cfg.threshold, cfg.ambiguity_threshold) == (0.6, None)
    assert not cfg.regex_entities
    every = from_pipeline([{"name": "my.pkg.BuiltinEntityExtractor"}, {"name": "DIETClassifier"}])
    assert every.builtin_types(()) == BUILTIN_TYPES and every.crf
    assert not from_pipeline([{"name": "DIETClassifier", "entity_recognition": False}]).crf
