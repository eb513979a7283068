"""The embedded NLU engine: intent + entities in Rasa's /model/parse shape."""

from __future__ import annotations

import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from nlu.classifier import IntentModel
from nlu.extractors import EntityPipeline
from nlu.features import known_word_ratio
from nlu.fragments import FRAGMENT
from nlu.normalize import normalize
from nlu.store import ENGINE_VERSION, MODEL_FILE

FALLBACK = "nlu_fallback"
RANKING_SIZE = 10
# Entities are looked for in this many leading characters (offsets stay those of the full text);
# the classifier reads fewer still (features.MAX_CLASSIFY_CHARS).
MAX_TEXT_CHARS = 20_000
FRAGMENT_MIN = 0.5
# Word coverage tells foreign text only from a few words on: a one- or two-word reply the
# training data never spelt this way ("uhm", "okie", "bb") is left to the classifier, which
# knows the character n-grams of "uh", "ok", "bye".
MIN_WORDS_FOR_COVERAGE = 3
_LATIN_LETTER_RE = re.compile(r"[a-zA-Z\u00c0-\u024f\u1e00-\u1eff]")


def _mostly_foreign(text: str) -> bool:
    """No Latin letter at all, or more letters of other scripts than Latin ones."""
    latin = len(_LATIN_LETTER_RE.findall(text[:2000]))
    if latin == 0:
        return True
    letters = sum(1 for ch in text[:2000] if ch.isalpha())
    return letters - latin > latin


@dataclass
class FallbackConfig:
    threshold: float = 0.3
    ambiguity_threshold: float = 0.1
    min_known_words: float = 0.25  # share of words seen in training under which text is foreign


@dataclass
class Engine:
    intent_model: IntentModel
    entities: EntityPipeline
    fallback: FallbackConfig = field(default_factory=FallbackConfig)
    data_hash: str = ""
    version: str = ENGINE_VERSION
    info: dict[str, Any] = field(default_factory=dict)

    @property
    def intents(self) -> list[str]:
        return [c for c in self.intent_model.classes if c != FRAGMENT]

    def parse(self, text: str) -> dict[str, Any]:
        """Classify a message and extract its entities; never raises on any string."""
        if not isinstance(text, str):
            text = "" if text is None else str(text)
        norm = normalize(text[:MAX_TEXT_CHARS])
        entities = self.entities.extract(norm)
        intent, ranking = self._classify(norm)
        return {
            "text": text,
            "intent": intent,
            "entities": entities,
            "intent_ranking": ranking,
        }

    def _classify(self, norm: Any) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        if not norm.plain.strip() or _mostly_foreign(norm.plain):
            # Empty, emoji-only, digits-only or another script: nothing we were trained on.
            fb = {"name": FALLBACK, "confidence": 1.0}
            return fb, [dict(fb)]
        probs = self.intent_model.proba(norm)
        ranking = self.ranking(probs)
        n_words, known = known_word_ratio(norm, self.intent_model.vocab)
        fi = self._fragment_index()
        # A bare name/place/amount (see nlu/fragments.py): only when clearly that.
        fragment = fi >= 0 and int(np.argmax(probs)) == fi and probs[fi] >= FRAGMENT_MIN

        top = ranking[0]["confidence"]
        second = ranking[1]["confidence"] if len(ranking) > 1 else 0.0
        fb_cfg = self.fallback
        if (
            fragment
            or top < fb_cfg.threshold
            or top - second < fb_cfg.ambiguity_threshold
            or (n_words >= MIN_WORDS_FOR_COVERAGE and known < fb_cfg.min_known_words)
        ):
            fb = {"name": FALLBACK, "confidence": fb_cfg.threshold}
            return fb, [dict(fb), *ranking][:RANKING_SIZE]
        return dict(ranking[0]), ranking

    def _fragment_index(self) -> int:
        classes = self.intent_model.classes
        return classes.index(FRAGMENT) if FRAGMENT in classes else -1

    def ranking(self, probs: np.ndarray) -> list[dict[str, Any]]:
        """Real intents by confidence (the internal fragment class is never shown)."""
        classes = self.intent_model.classes
        order = [i for i in np.argsort(-probs) if classes[i] != FRAGMENT][:RANKING_SIZE]
        return [{"name": classes[i], "confidence": float(probs[i])} for i in order]

    def save(self, model_dir: Path) -> None:
        """Write atomically so a reader never sees a half-written model."""
        model_dir.mkdir(parents=True, exist_ok=True)
        tmp = model_dir / (MODEL_FILE + ".tmp")
        with tmp.open("wb") as fh:
            pickle.dump(self, fh, protocol=pickle.HIGHEST_PROTOCOL)
        tmp.replace(model_dir / MODEL_FILE)

    @staticmethod
    def load(model_dir: Path) -> Engine:
        with (model_dir / MODEL_FILE).open("rb") as fh:
            engine = pickle.load(fh)
        if not isinstance(engine, Engine):
            raise ValueError(f"{model_dir / MODEL_FILE}: not a ketnoi NLU model")
        return engine
