"""Public NLU API used by the rest of ketnoi.

``load_engine()`` returns the embedded engine (the bot's own model is trained on first use or when
``nlu/data`` changed; any other model is served as stored); ``make_backend(settings)`` returns an object with ``async parse(text) -> dict`` that either runs
the embedded engine or calls a Rasa server, falling back to the embedded engine when Rasa fails.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections import OrderedDict
from pathlib import Path
from typing import Any, Protocol

import httpx

from nlu.engine import Engine, FallbackConfig
from nlu.store import (
    DEFAULT_DATA_DIR,
    ModelError,
    check_servable,
    default_model_dir,
    is_fresh,
    read_meta,
    retrain_command,
    trained_on,
)
from nlu.training import train_to_dir

__all__ = ["EmbeddedBackend", "ModelError", "NluBackend", "RasaBackend", "default_model_dir",
           "load_engine", "make_backend"]

log = logging.getLogger(__name__)

_CACHE: dict[tuple[Path, float | None, float | None], Engine] = {}
_LOCK = threading.Lock()


def load_engine(
    model_dir: Path | None = None,
    train_if_needed: bool = True,
    data: list[Path] | None = None,
    threshold: float | None = None,
    ambiguity_threshold: float | None = None,
) -> Engine:
    """The engine stored in ``model_dir`` (default ``KETNOI_NLU_MODEL_DIR``), cached per dir.

    Without ``train_if_needed`` the model is served exactly as stored and nothing is written; a
    missing model or one pickled by another engine version raises ``ModelError`` naming the
    command that retrains it. With ``train_if_needed`` (the bot's own model) it is (re)trained
    from ``data`` (default ``nlu/data``) when missing, stale or from another engine version, but
    only if it was trained on those same data paths: a model trained on other data is served as
    it is. ``threshold``/``ambiguity_threshold`` override the fallback values chosen at training.
    """
    model_dir = Path(model_dir or default_model_dir()).resolve()
    paths = data or [DEFAULT_DATA_DIR]
    key = (model_dir, threshold, ambiguity_threshold)
    with _LOCK:
        # A model without recorded data paths predates them (and was retrained by the bot anyway).
        own = train_if_needed and ("data" not in read_meta(model_dir)
                                   or trained_on(model_dir, paths))
        cached = _CACHE.get(key)
        if cached is not None and (not own or is_fresh(model_dir, paths)):
            return cached
        if own and not is_fresh(model_dir, paths):
            report = train_to_dir(paths, model_dir)
            log.info("NLU model trained: %d examples, %d intents, %.1fs",
                     report.examples, report.intents, report.seconds)
        engine = _load_checked(model_dir)
        if threshold is not None or ambiguity_threshold is not None:
            fb = engine.fallback
            engine.fallback = FallbackConfig(
                threshold if threshold is not None else fb.threshold,
                ambiguity_threshold if ambiguity_threshold is not None else fb.ambiguity_threshold,
                fb.min_known_words,
            )
        _CACHE[key] = engine
        return engine


def _load_checked(model_dir: Path) -> Engine:
    meta = check_servable(model_dir)
    try:
        return Engine.load(model_dir)
    except Exception as exc:  # pickled by other code despite the version: same remedy
        raise ModelError(f"Không đọc được mô hình NLU trong {model_dir} ({exc}). Huấn luyện "
                         f"lại bằng: {retrain_command(model_dir, meta)}") from exc


class NluBackend(Protocol):
    async def parse(self, text: str) -> dict[str, Any]: ...


# Parses kept per backend: a model never changes under a running backend, and many messages
# repeat word for word ("xin chào", "cảm ơn", a typed button label) while one parse costs a
# millisecond or two of CPU.
PARSES_KEPT = 4096


class EmbeddedBackend:
    def __init__(self, model_dir: Path | None = None, engine: Engine | None = None,
                 threshold: float | None = None, ambiguity_threshold: float | None = None) -> None:
        self._model_dir = model_dir
        self._engine = engine
        self._threshold = threshold
        self._ambiguity = ambiguity_threshold
        self._parses: OrderedDict[str, dict[str, Any]] = OrderedDict()

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = load_engine(self._model_dir, threshold=self._threshold,
                                       ambiguity_threshold=self._ambiguity)
        return self._engine

    async def parse(self, text: str) -> dict[str, Any]:
        """The engine's parse; a text parsed lately is answered from memory (a copy: callers
        may change what they get)."""
        kept = self._parses.get(text)
        if kept is None:
            kept = self._parses[text] = self.engine.parse(text)
            if len(self._parses) > PARSES_KEPT:
                self._parses.popitem(last=False)
        else:
            self._parses.move_to_end(text)
        return copy.deepcopy(kept)


def _valid_parse(body: Any) -> bool:
    if not isinstance(body, dict) or not isinstance(body.get("intent"), dict):
        return False
    name = body["intent"].get("name")
    return isinstance(name, str) and isinstance(body.get("entities", []), list)


class RasaBackend:
    """Calls a Rasa server's POST /model/parse; any failure → a warning and the embedded engine."""

    def __init__(self, url: str, timeout: float, embedded: EmbeddedBackend) -> None:
        self.url = url.rstrip("/") + "/model/parse"
        self.timeout = timeout
        self.embedded = embedded
        self._client: httpx.AsyncClient | None = None

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(timeout=httpx.Timeout(self.timeout))
        return self._client

    async def parse(self, text: str) -> dict[str, Any]:
        try:
            resp = await self._http().post(self.url, json={"text": text})
            resp.raise_for_status()
            body = resp.json()
            if not _valid_parse(body):
                raise ValueError("response is not a /model/parse object")
            body.setdefault("entities", [])
            body.setdefault("intent_ranking", [])
            body.setdefault("text", text)
            return dict(body)
        except (httpx.HTTPError, ValueError) as exc:
            log.warning("Rasa NLU at %s unavailable (%s: %s); using the embedded engine",
                        self.url, type(exc).__name__, exc)
            return await self.embedded.parse(text)

    async def aclose(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None


def make_backend(settings: Any) -> NluBackend:
    """The backend the caller's settings ask for (nlu/ reads no settings of its own).

    ``settings`` has ``nlu_model_dir`` and optionally ``nlu_backend`` ("embedded" or "rasa"),
    ``nlu_threshold``, ``nlu_ambiguity_threshold``, ``rasa_url`` and ``rasa_timeout``: the
    ``KETNOI_NLU_*``/``KETNOI_RASA_*`` settings of the bot. Rasa answers fall back to the
    embedded engine when the server fails.
    """
    embedded = EmbeddedBackend(
        Path(settings.nlu_model_dir),
        threshold=getattr(settings, "nlu_threshold", None),
        ambiguity_threshold=getattr(settings, "nlu_ambiguity_threshold", None),
    )
    if str(getattr(settings, "nlu_backend", "embedded")).lower() == "rasa":
        return RasaBackend(settings.rasa_url, float(settings.rasa_timeout), embedded)
    return embedded
