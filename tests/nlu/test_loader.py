from pathlib import Path

import pytest

from nlu.loader import NluDataError, load_data, load_file, parse_annotated

from .conftest import FIXTURE_DATA, FIXTURES


def test_folder_with_many_files_and_all_block_kinds() -> None:
    data = load_data(FIXTURE_DATA)
    assert {"greet", "thanks", "find_technology", "ask_events", "out_of_scope",
            "demand_status"} == set(data.intents)
    assert data.synonyms["sấy khô"] == "drying"
    assert data.synonyms["ủ men"] == "fermentation"
    assert data.lookups["process"] == ["sấy thăng hoa", "ép viên"]
    assert data.regexes["order_code"] == [r"\bYC-\d{4}\b"]


def test_files_without_nlu_key_are_skipped() -> None:
    assert load_file(FIXTURE_DATA / "domain.yml").examples == []


def test_examples_as_yaml_list_with_metadata() -> None:
    data = load_file(FIXTURE_DATA / "status.yml")
    texts = [e.text for e in data.examples]
    assert "ho so cua cty em xu ly toi dau roi" in texts
    assert len(texts) == 8


def test_json_annotation_keeps_value_and_offsets() -> None:
    text, ents = parse_annotated('tìm máy [sấy]{"entity": "process", "value": "drying"} nông sản')
    assert text == "tìm máy sấy nông sản"
    (e,) = ents
    assert (e.entity, e.value, text[e.start : e.end]) == ("process", "drying", "sấy")


def test_short_annotation_and_role_group() -> None:
    text, ents = parse_annotated(
        'từ [Hà Nội]{"entity": "province", "role": "from", "group": "1"} đến [Huế](province)'
    )
    assert text == "từ Hà Nội đến Huế"
    assert [(e.entity, e.text, e.role, e.group) for e in ents] == [
        ("province", "Hà Nội", "from", "1"), ("province", "Huế", None, None)]


def test_broken_yaml_names_file_and_line() -> None:
    with pytest.raises(NluDataError) as err:
        load_data(FIXTURES / "broken")
    msg = str(err.value)
    assert "bad.yml" in msg
    assert "line 7" in msg


def test_missing_path_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(NluDataError, match="no such file"):
        load_data(tmp_path / "nope.yml")
