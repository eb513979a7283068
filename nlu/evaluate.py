"""Evaluation: intent accuracy / macro-F1 / per-intent P-R-F1 / confusions, entity P-R-F1 per type.

``nlu_fallback`` counts as right when the expected intent is ``out_of_scope`` (both mean "not
something we handle"), and wrong otherwise. Intents the model does not know count as errors.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.model_selection import StratifiedKFold

from nlu.classifier import stripped_copy
from nlu.engine import FALLBACK, Engine
from nlu.loader import Example, TrainingData

OOS = "out_of_scope"


@dataclass
class PRF:
    tp: int = 0
    fp: int = 0
    fn: int = 0

    def scores(self) -> dict[str, float]:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return {"precision": round(p, 4), "recall": round(r, 4), "f1": round(f, 4),
                "support": self.tp + self.fn}


@dataclass
class Results:
    gold: list[str] = field(default_factory=list)
    pred: list[str] = field(default_factory=list)
    raw_pred: list[str] = field(default_factory=list)  # best real intent, ignoring the fallback
    texts: list[str] = field(default_factory=list)
    entities: dict[str, PRF] = field(default_factory=dict)

    def add(self, ex: Example, text: str, parsed: dict[str, Any]) -> None:
        self.gold.append(ex.intent)
        self.pred.append(parsed["intent"]["name"])
        real = [r["name"] for r in parsed["intent_ranking"] if r["name"] != FALLBACK]
        self.raw_pred.append(real[0] if real else FALLBACK)
        self.texts.append(text)
        got = {(e["entity"], e["start"], e["end"]) for e in parsed["entities"]}
        self.count_entities(self.entities, ex, got)

    @staticmethod
    def count_entities(scores: dict[str, PRF], ex: Example,
                       got: set[tuple[str, int, int]]) -> None:
        """Exact spans per type; only the types annotated in the example are scored (the data
        annotates some entities of a message, not always all)."""
        want = {(a.entity, a.start, a.end) for a in ex.entities}
        for ent in {x[0] for x in want}:
            prf = scores.setdefault(ent, PRF())
            prf.tp += len({x for x in want & got if x[0] == ent})
            prf.fn += len({x for x in want - got if x[0] == ent})
            prf.fp += len({x for x in got - want if x[0] == ent})

    @staticmethod
    def right(gold: str, pred: str) -> bool:
        return gold == pred or (gold == OOS and pred == FALLBACK)

    def summary(self, top_confusions: int = 10) -> dict[str, Any]:
        n = len(self.gold)
        ok = [self.right(g, p) for g, p in zip(self.gold, self.pred, strict=True)]
        per: dict[str, PRF] = {}
        for g, p, r in zip(self.gold, self.pred, ok, strict=True):
            per.setdefault(g, PRF())
            if r:
                per[g].tp += 1
            else:
                per[g].fn += 1
                per.setdefault(p, PRF()).fp += 1
        per_intent = {k: v.scores() for k, v in sorted(per.items()) if v.tp + v.fn > 0}
        confusions = Counter(
            (g, p) for g, p, r in zip(self.gold, self.pred, ok, strict=True) if not r
        )
        return {
            "examples": n,
            "accuracy": round(sum(ok) / n, 4) if n else 0.0,
            "accuracy_without_fallback": round(
                sum(self.right(g, p) for g, p in zip(self.gold, self.raw_pred, strict=True)) / n, 4
            ) if n else 0.0,
            "fallback_rate": round(self.pred.count(FALLBACK) / n, 4) if n else 0.0,
            "macro_f1": round(float(np.mean([v["f1"] for v in per_intent.values()])), 4)
            if per_intent else 0.0,
            "per_intent": per_intent,
            "confusions": [{"expected": g, "predicted": p, "count": c}
                           for (g, p), c in confusions.most_common(top_confusions)],
            "entities": {k: v.scores() for k, v in sorted(self.entities.items())},
        }

    def errors(self) -> list[tuple[str, str, str]]:
        return [(t, g, p) for t, g, p in zip(self.texts, self.gold, self.pred, strict=True)
                if not self.right(g, p)]


def evaluate(engine: Engine, examples: Sequence[Example], strip: bool = False,
             results: Results | None = None) -> Results:
    res = results or Results()
    for ex in examples:
        text = stripped_copy(ex.text) if strip else ex.text
        res.add(ex, text, engine.parse(text))
    return res


def cross_validate(data: TrainingData, folds: int, strip: bool = False,
                   train: Callable[[TrainingData], Engine] | None = None,
                   seed: int = 7) -> Results:
    """Train on k-1 folds, test on the held-out fold; thresholds are re-chosen inside each fold."""
    from nlu.training import train_engine

    def default_train(d: TrainingData) -> Engine:
        return train_engine(d)[0]

    fit = train or default_train
    y = np.array([e.intent for e in data.examples])
    smallest = min(Counter(y.tolist()).values())
    k = max(2, min(folds, smallest))
    res = Results()
    skf = StratifiedKFold(n_splits=k, shuffle=True, random_state=seed)
    for train_idx, test_idx in skf.split(np.zeros(len(y)), y):
        part = data.subset([data.examples[i] for i in train_idx])
        engine = fit(part)
        evaluate(engine, [data.examples[i] for i in test_idx], strip, res)
    return res


def entity_cross_validate(data: TrainingData, folds: int, seed: int = 7,
                          strip: bool = False) -> dict[str, PRF]:
    """Entity scores per type from the entity pipeline alone (no intent model): quick enough to
    compare CRF settings (benchmarks/nlu_bench.py --tune-crf)."""
    from sklearn.model_selection import KFold

    from nlu.extractors import EntityPipeline
    from nlu.normalize import normalize

    scores: dict[str, PRF] = {}
    examples = data.examples
    for train_idx, test_idx in KFold(folds, shuffle=True, random_state=seed).split(examples):
        pipe = EntityPipeline.build(data.subset([examples[i] for i in train_idx]))
        for i in test_idx:
            ex = examples[i]
            text = stripped_copy(ex.text) if strip else ex.text
            got = {(e["entity"], e["start"], e["end"]) for e in pipe.extract(normalize(text))}
            Results.count_entities(scores, ex, got)
    return scores


def format_report(summary: dict[str, Any]) -> str:
    lines = [
        f"examples: {summary['examples']}",
        f"intent accuracy: {summary['accuracy']:.4f}  (nlu_fallback counts as right for out_of_scope)",
        f"accuracy ignoring the fallback: {summary['accuracy_without_fallback']:.4f}",
        f"fallback rate: {summary['fallback_rate']:.4f}",
        f"macro-F1: {summary['macro_f1']:.4f}",
        "",
        f"{'intent':<20} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}",
    ]
    for name, s in summary["per_intent"].items():
        lines.append(f"{name:<20} {s['precision']:>6.3f} {s['recall']:>6.3f} {s['f1']:>6.3f} "
                     f"{s['support']:>5}")
    if summary["confusions"]:
        lines += ["", "most confused (expected → predicted):"]
        lines += [f"  {c['expected']} → {c['predicted']}: {c['count']}"
                  for c in summary["confusions"]]
    if summary["entities"]:
        lines += ["", f"{'entity':<20} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}"]
        for name, s in summary["entities"].items():
            lines.append(f"{name:<20} {s['precision']:>6.3f} {s['recall']:>6.3f} "
                         f"{s['f1']:>6.3f} {s['support']:>5}")
    return "\n".join(lines)
