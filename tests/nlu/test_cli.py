import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlu.__main__ import main

from .conftest import FIXTURE_DATA, FIXTURES

ROOT = Path(__file__).resolve().parents[2]


def test_train_then_if_needed_skips(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "m"
    assert main(["train", "--data", str(FIXTURE_DATA), "--out", str(out)]) == 0
    first = capsys.readouterr().out
    assert "câu mẫu" in first and (out / "model.pkl").exists()
    assert main(["train", "--data", str(FIXTURE_DATA), "--out", str(out), "--if-needed"]) == 0
    assert "bỏ qua" in capsys.readouterr().out


def test_parse_text_prints_one_json(model_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["parse", "--model", str(model_dir), "cần máy sấy cà phê ở Bắc Giang"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["intent"]["name"] == "find_technology"
    assert any(e["value"] == "Bắc Ninh" for e in out["entities"])


def test_parse_stdin_one_json_per_line(model_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "nlu", "parse", "--model", str(model_dir)],
        input="xin chào\n\ncảm ơn nhé\n".encode(), capture_output=True, cwd=ROOT,
        check=True, timeout=120,
    )
    lines = proc.stdout.decode("utf-8").splitlines()
    assert [json.loads(x)["text"] for x in lines] == ["xin chào", "", "cảm ơn nhé"]
    assert "chào" in lines[0]  # UTF-8, not \\u escapes


def test_evaluate_with_unknown_intents(model_dir: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    test = tmp_path / "test.yml"
    test.write_text('version: "3.1"\nnlu:\n- intent: greet\n  examples: |\n    - chào anh\n'
                    "- intent: never_seen\n  examples: |\n    - một câu lạ\n", encoding="utf-8")
    assert main(["evaluate", "--data", str(test), "--model", str(model_dir), "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["examples"] == 2
    assert summary["per_intent"]["never_seen"]["recall"] == 0.0
    assert summary["accuracy"] <= 0.5


def test_evaluate_cv_strip(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["evaluate", "--cv", "2", "--data", str(FIXTURE_DATA), "--strip-diacritics"]) == 0
    out = capsys.readouterr().out
    assert "intent accuracy" in out and "macro-F1" in out


def test_broken_data_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["train", "--data", str(FIXTURES / "broken"), "--out", str(tmp_path / "m")])
    assert code == 1
    assert "bad.yml" in capsys.readouterr().err
