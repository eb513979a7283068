"""Session-wide NLU fixtures: one small model trained once from tests/nlu/fixtures/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from nlu.engine import Engine
from nlu.training import train_to_dir

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_DATA = FIXTURES / "data"


@pytest.fixture(scope="session")
def model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("nlu-model")
    train_to_dir([FIXTURE_DATA], out)
    return out


@pytest.fixture(scope="session")
def engine(model_dir: Path) -> Engine:
    return Engine.load(model_dir)
