"""A trained model on disk: ``model.pkl`` plus ``meta.json`` recording what it was trained on.

The meta file names the data (files and their hash) and the engine version that pickled the
model. A model is served as it is: only a model trained on the very data it is asked to serve
may be retrained in place (the bot's own model when ``nlu/data`` changes), and a model pickled
by another engine version is refused with the command that retrains it.
"""

from __future__ import annotations

import hashlib
import json
import os
import shlex
from collections.abc import Iterable, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from nlu.loader import data_files

PACKAGE_DIR = Path(__file__).parent
DEFAULT_DATA_DIR = PACKAGE_DIR / "data"
RESOURCES_DIR = PACKAGE_DIR / "resources"
MODEL_FILE = "model.pkl"
META_FILE = "meta.json"
ENGINE_VERSION = "2.0.0"
# Modules that only read or drive a model: editing them does not change what a model holds.
_NOT_IN_MODEL = frozenset({"__main__.py", "api.py", "evaluate.py", "store.py", "query.py"})


class ModelError(RuntimeError):
    """A model that cannot be served as it is; the message says how to get a usable one."""


@lru_cache(maxsize=1)
def engine_version() -> str:
    """ENGINE_VERSION plus a fingerprint of the code and resources a pickled model depends on."""
    h = hashlib.sha256(ENGINE_VERSION.encode())
    files = [f for f in sorted(PACKAGE_DIR.glob("*.py")) if f.name not in _NOT_IN_MODEL]
    for f in [*files, *sorted(RESOURCES_DIR.glob("*"))]:
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return f"{ENGINE_VERSION}+{h.hexdigest()[:12]}"


def data_hash(paths: Iterable[Path]) -> str:
    """Hash of the training files (names and bytes), config.yml included."""
    from nlu.pipeline import config_file

    paths = list(paths)
    h = hashlib.sha256()
    config = config_file(paths)
    for f in sorted({*data_files(paths), *([config] if config else [])}):
        h.update(f.name.encode())
        h.update(f.read_bytes())
    return h.hexdigest()


def data_key(paths: Iterable[Path]) -> list[str]:
    return sorted(str(Path(p).resolve()) for p in paths)


def default_model_dir() -> Path:
    """``KETNOI_NLU_MODEL_DIR`` (environment, then ./.env), else ``var/nlu-model``.

    Only the CLI uses this; the bot passes its own settings to ``nlu.api.make_backend``.
    """
    value = os.environ.get("KETNOI_NLU_MODEL_DIR")
    if value is None:
        try:
            lines = Path(".env").read_text(encoding="utf-8").splitlines()
        except OSError:
            lines = []
        for line in lines:
            key, sep, raw = line.partition("=")
            if sep and key.strip() == "KETNOI_NLU_MODEL_DIR":
                value = raw.strip().strip("'\"")
    return Path(value or "var/nlu-model")


def read_meta(model_dir: Path) -> dict[str, Any]:
    try:
        meta = json.loads((model_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def write_meta(model_dir: Path, paths: Sequence[Path], extra: dict[str, Any]) -> dict[str, Any]:
    meta = {"engine_version": engine_version(), "data": data_key(paths),
            "data_hash": data_hash(paths), **extra}
    tmp = model_dir / (META_FILE + ".tmp")
    tmp.write_text(json.dumps(meta, indent=2, ensure_ascii=False), encoding="utf-8")
    tmp.replace(model_dir / META_FILE)
    return meta


def trained_on(model_dir: Path, paths: Sequence[Path]) -> bool:
    """The model in ``model_dir`` records exactly these data paths (whatever their content)."""
    return read_meta(model_dir).get("data") == data_key(paths)


def is_fresh(model_dir: Path, paths: Sequence[Path]) -> bool:
    """The model exists, was pickled by this engine, on these paths with this content."""
    meta = read_meta(model_dir)
    return (bool(meta) and meta.get("engine_version") == engine_version()
            and meta.get("data") == data_key(paths) and meta.get("data_hash") == data_hash(paths)
            and (model_dir / MODEL_FILE).exists())


def retrain_command(model_dir: Path, meta: dict[str, Any] | None = None) -> str:
    meta = read_meta(model_dir) if meta is None else meta
    data = meta.get("data") or [str(DEFAULT_DATA_DIR)]
    args = " ".join(f"--data {shlex.quote(str(d))}" for d in data)
    return f"python -m nlu train {args} --out {shlex.quote(str(model_dir))}"


def check_servable(model_dir: Path) -> dict[str, Any]:
    """The model's meta, or ModelError when it is missing or from another engine version."""
    meta = read_meta(model_dir)
    if not (model_dir / MODEL_FILE).exists():
        raise ModelError(f"Không có mô hình NLU trong {model_dir}; huấn luyện bằng: "
                         f"{retrain_command(model_dir, meta)}")
    found = meta.get("engine_version")
    if found != engine_version():
        raise ModelError(
            f"Mô hình NLU trong {model_dir} được huấn luyện bởi phiên bản engine khác "
            f"({found or 'không rõ'}; hiện tại {engine_version()}). Huấn luyện lại bằng: "
            f"{retrain_command(model_dir, meta)}")
    return meta
