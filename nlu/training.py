"""Training: data → Engine, with the fallback thresholds chosen on out-of-fold predictions."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.model_selection import StratifiedKFold

from nlu import classifier
from nlu.classifier import ClassifierConfig, IntentModel, stripped_copy
from nlu.engine import Engine, FallbackConfig
from nlu.extractors import EntityPipeline
from nlu.features import featurize
from nlu.fragments import FRAGMENT, fragment_examples
from nlu.loader import TrainingData, load_data
from nlu.normalize import normalize
from nlu.pipeline import PipelineConfig
from nlu.store import DEFAULT_DATA_DIR, data_hash, is_fresh, read_meta, write_meta

__all__ = ["DEFAULT_DATA_DIR", "data_hash", "is_fresh", "read_meta", "train_engine", "train_to_dir"]
CALIBRATION_FOLDS = 5
OUT_OF_SCOPE = "out_of_scope"


def out_of_fold_scores(
    texts: Sequence[str], labels: Sequence[str], cfg: ClassifierConfig, folds: int,
    strip: bool = False, seed: int = 13,
) -> tuple[np.ndarray, list[str]]:
    """Decision scores of every example from a model that never saw it (rows align with texts).

    Every training row (examples and their augmented copies) is featurized once; each fold fits
    on the rows whose example is in its training part.
    """
    classes = sorted(set(labels))
    y = np.array(labels)
    counts = {c: int((y == c).sum()) for c in classes}
    k = max(2, min(folds, min(counts.values())))
    rows = classifier.augmented_rows(texts, cfg)
    feats = [featurize(t, cfg.features) for _, t in rows]
    origin = np.array([i for i, _ in rows])
    scores = np.zeros((len(texts), len(classes)), dtype=np.float64)
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train_idx, test_idx in skf.split(np.zeros(len(y)), y):
        inside = np.isin(origin, train_idx)
        model = classifier.fit_features([f for f, keep in zip(feats, inside, strict=True) if keep],
                                        [labels[i] for i in origin[inside]], cfg)
        col = [model.classes.index(c) if c in model.classes else -1 for c in classes]
        for i in test_idx:
            text = stripped_copy(texts[i]) if strip else texts[i]
            s = model.scores(normalize(text))
            scores[i] = [s[j] if j >= 0 else -1e9 for j in col]
    return scores, classes


def choose_fallback(probs: np.ndarray, gold: np.ndarray, oos: int = -1,
                    wrong_cost: float = 0.5, fragment: int = -1) -> FallbackConfig:
    """Thresholds maximising the answers a user is served well by, on out-of-fold predictions.

    Counted: a right answer kept (+1), a fallback on an out-of-scope message (+1, the bot says it
    cannot help either way), and a wrong answer kept (-``wrong_cost``: worse than asking again,
    though the dialogue's confirmation step softens it).
    A stricter setting must beat a laxer one by at least 0.6% of the examples: the curve is flat
    near its top, and fallbacks that buy nothing only annoy people (cross-validated: at 0.2% the
    fallback rate was twice as high for a lower accuracy, on long messages most of all).
    """
    top2 = np.sort(probs, axis=1)[:, -2:]
    top, margin = top2[:, 1], top2[:, 1] - top2[:, 0]
    real = gold != fragment  # thresholds are about real messages, not generated fragments
    probs, gold, top, margin = probs[real], gold[real], top[real], margin[real]
    right = probs.argmax(axis=1) == gold
    as_fragment = probs.argmax(axis=1) == fragment  # reported as nlu_fallback whatever happens
    is_oos = gold == oos
    tolerance = 0.006 * len(gold)
    best = (-1e9, 0.3, 0.1)
    for t, a in sorted(((t, a) for t in np.arange(0.15, 0.61, 0.025)
                        for a in np.arange(0.0, 0.21, 0.02)), key=lambda ta: ta[0] + ta[1]):
        keep = (top >= t) & (margin >= a) & ~as_fragment
        gain = float((keep & right).sum() + (~keep & is_oos).sum()
                     - wrong_cost * (keep & ~right).sum())
        if gain > best[0] + tolerance:
            best = (gain, float(t), float(a))
    return FallbackConfig(threshold=round(best[1], 3), ambiguity_threshold=round(best[2], 3))


@dataclass
class TrainReport:
    examples: int
    intents: int
    entity_types: list[str]
    seconds: float
    fallback: FallbackConfig
    temperature: float


def train_engine(data: TrainingData, cfg: ClassifierConfig | None = None,
                 calibrate: bool = True, fragments: bool = True) -> tuple[Engine, TrainReport]:
    cfg = cfg or ClassifierConfig()
    t0 = time.perf_counter()
    texts = [e.text for e in data.examples]
    labels = [e.intent for e in data.examples]
    n_real = len(texts)
    if fragments:
        extra = fragment_examples()
        texts += extra
        labels += [FRAGMENT] * len(extra)
    model: IntentModel = classifier.fit(texts, labels, cfg)
    fallback = FallbackConfig()
    if calibrate and len(texts) >= 4 * len(set(labels)):
        scores, classes = out_of_fold_scores(texts, labels, cfg, CALIBRATION_FOLDS)
        gold = np.array([classes.index(lab) for lab in labels])
        model.temperature = classifier.fit_temperature(scores, gold)
        oos = classes.index(OUT_OF_SCOPE) if OUT_OF_SCOPE in classes else -1
        frag = classes.index(FRAGMENT) if FRAGMENT in classes else -1
        fallback = choose_fallback(classifier.softmax(scores, model.temperature), gold, oos,
                                   fragment=frag)
    config = data.config or PipelineConfig()
    fallback = FallbackConfig(
        config.threshold if config.threshold is not None else fallback.threshold,
        config.ambiguity_threshold if config.ambiguity_threshold is not None
        else fallback.ambiguity_threshold)
    engine = Engine(model, EntityPipeline.build(data), fallback)
    intents = sorted(set(labels) - {FRAGMENT})
    report = TrainReport(n_real, len(intents), data.entity_types(),
                         time.perf_counter() - t0, fallback, model.temperature)
    engine.info = {"examples": n_real, "intents": intents,
                   "temperature": model.temperature}
    return engine, report


def train_to_dir(paths: Sequence[Path], out_dir: Path) -> TrainReport:
    data = load_data(paths)
    engine, report = train_engine(data)
    engine.data_hash = data_hash(paths)
    engine.save(out_dir)
    write_meta(out_dir, paths, {
        "examples": report.examples, "intents": report.intents,
        "entity_types": report.entity_types, "threshold": report.fallback.threshold,
        "ambiguity_threshold": report.fallback.ambiguity_threshold,
        "temperature": report.temperature, "trained_seconds": round(report.seconds, 2)})
    return report
