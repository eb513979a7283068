"""What a Rasa project's ``config.yml`` asks of the engine: extractors, CRF settings, fallback.

Read from the ``pipeline`` list (Rasa 3.x component names):
- ``CRFEntityExtractor`` (``max_iterations``, ``L1_c``, ``L2_c``, and our additions ``algorithm``:
  l2sgd, the default, or lbfgs, and ``stripped_copies``: also learn each example as typed without
  diacritics) or ``DIETClassifier`` (unless
  ``entity_recognition: false``): the CRF tagger learns the data's annotated entity types;
- ``RegexEntityExtractor``: the data's ``regex``/``lookup`` blocks become entities;
- ``DucklingEntityExtractor`` ``dimensions``: amount-of-money, phone-number and email are served
  by the built-in patterns as ``budget``, ``phone`` and ``email``;
- ``BuiltinEntityExtractor`` (any module prefix) ``entities``: which built-in extractors run
  (province, sector, product, event_kind, budget, phone, email, tax_code); ``tagger_decides``,
  ``tagger_veto`` and ``tagger_soft_accept``: how far the tagger overrules the lexicons (see
  ``nlu.extractors.EntityPipeline``);
- ``FallbackClassifier`` ``threshold``/``ambiguity_threshold``: fixed fallback thresholds (those
  not given are chosen by cross-validation).
Without a ``config.yml`` the built-in extractors run for the types the data annotates or looks
up, the CRF learns every annotated type and the thresholds are chosen by cross-validation.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from nlu.loader import NluDataError

CONFIG_FILE = "config.yml"
BUILTIN_TYPES = frozenset(
    {"province", "sector", "product", "event_kind", "budget", "phone", "email", "tax_code"}
)
_DUCKLING = {"amount-of-money": "budget", "phone-number": "phone", "email": "email"}


@dataclass(frozen=True)
class PipelineConfig:
    builtin: frozenset[str] | None = None  # None: the types the data annotates or looks up
    crf: bool = True
    # "l2sgd" (stochastic gradient, L2 only: a few epochs, fast on large data) or "lbfgs"
    # (L1 + L2, slower); CRFEntityExtractor ``algorithm`` (our addition to Rasa's settings).
    crf_algorithm: str = "l2sgd"
    crf_c1: float = 0.05
    crf_c2: float = 0.01
    crf_iterations: int = 15
    # CRFEntityExtractor ``stripped_copies`` (our addition): also learn every example as typed
    # without diacritics.
    crf_stripped: bool = False
    # Built-in types where the tagger has the last word (vetoes lexicon matches, sets spans);
    # None: every type it learnt. BuiltinEntityExtractor ``tagger_decides``.
    tagger_decides: frozenset[str] | None = None
    crf_veto: float = 0.97  # BuiltinEntityExtractor ``tagger_veto``: see extractors.EntityPipeline
    crf_soft_accept: float = 0.5  # BuiltinEntityExtractor ``tagger_soft_accept``: the same
    regex_entities: bool = True
    threshold: float | None = None  # None: chosen on out-of-fold predictions
    ambiguity_threshold: float | None = None
    source: str = ""

    def builtin_types(self, data_types: Iterable[str]) -> frozenset[str]:
        if self.builtin is not None:
            return self.builtin
        return BUILTIN_TYPES & frozenset(data_types)


def config_file(paths: Iterable[Path]) -> Path | None:
    """The project's config.yml: in a data folder given, or next to it (Rasa's layout)."""
    for p in paths:
        p = Path(p)
        folder = p if p.is_dir() else p.parent
        for candidate in (folder / CONFIG_FILE, folder.parent / CONFIG_FILE):
            if candidate.is_file():
                return candidate
    return None


def load_config(paths: Iterable[Path]) -> PipelineConfig:
    path = config_file(paths)
    if path is None:
        return PipelineConfig()
    try:
        doc = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise NluDataError(f"{path}: invalid config ({exc})") from exc
    pipeline = doc.get("pipeline") if isinstance(doc, dict) else None
    if not isinstance(pipeline, list) or not pipeline:
        return PipelineConfig(source=str(path))  # Rasa picks a default pipeline: so do we
    return from_pipeline(pipeline, str(path))


def _num(spec: dict[str, Any], key: str, default: float) -> float:
    value = spec.get(key, default)
    return float(value) if isinstance(value, int | float) else default


def _opt(spec: dict[str, Any] | None, key: str) -> float | None:
    value = (spec or {}).get(key)
    return float(value) if isinstance(value, int | float) else None


def from_pipeline(pipeline: list[Any], source: str = "") -> PipelineConfig:
    comps = {str(c.get("name", "")).rsplit(".", 1)[-1]: c for c in pipeline if isinstance(c, dict)}
    base = PipelineConfig()
    builtin: set[str] = set()
    own = comps.get("BuiltinEntityExtractor") or {}
    if "BuiltinEntityExtractor" in comps:
        wanted = own.get("entities")
        builtin |= set(wanted) & BUILTIN_TYPES if isinstance(wanted, list) else BUILTIN_TYPES
    if "DucklingEntityExtractor" in comps:
        dims = comps["DucklingEntityExtractor"].get("dimensions") or list(_DUCKLING)
        builtin |= {_DUCKLING[d] for d in dims if d in _DUCKLING}
    crf = comps.get("CRFEntityExtractor")
    diet = comps.get("DIETClassifier")
    fallback = comps.get("FallbackClassifier")
    return PipelineConfig(
        builtin=frozenset(builtin),
        crf=crf is not None or (diet is not None and diet.get("entity_recognition", True) is not False),
        crf_algorithm="lbfgs" if (crf or {}).get("algorithm") == "lbfgs" else "l2sgd",
        crf_c1=_num(crf or {}, "L1_c", base.crf_c1),
        crf_c2=_num(crf or {}, "L2_c", base.crf_c2),
        crf_iterations=int(_num(crf or {}, "max_iterations", base.crf_iterations)),
        crf_stripped=bool((crf or {}).get("stripped_copies", base.crf_stripped)),
        crf_veto=_num(own, "tagger_veto", base.crf_veto),
        crf_soft_accept=_num(own, "tagger_soft_accept", base.crf_soft_accept),
        tagger_decides=frozenset(own["tagger_decides"])
        if isinstance(own.get("tagger_decides"), list) else None,
        regex_entities="RegexEntityExtractor" in comps,
        threshold=_opt(fallback, "threshold"),
        ambiguity_threshold=_opt(fallback, "ambiguity_threshold"),
        source=source,
    )
