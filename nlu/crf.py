"""A CRF sequence tagger (python-crfsuite, the engine behind sklearn-crfsuite) for annotated
entities that no lookup or pattern covers, so Rasa data with free-form entities still works."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass

import pycrfsuite

from nlu.loader import Example
from nlu.normalize import Token, normalize, tokenize


def _word_feats(tok: Token, prefix: str) -> list[str]:
    p = tok.plain
    shape = "d" if p.isdigit() else ("a" if p.isalpha() else "m")
    feats = [f"{prefix}p={p}", f"{prefix}s={shape}", f"{prefix}suf={p[-3:]}"]
    if prefix == "":
        feats += [f"f={tok.folded}", f"pre={p[:3]}", f"up={tok.text[:1].isupper()}"]
    return feats


def sentence_features(tokens: Sequence[Token]) -> list[list[str]]:
    out = []
    for i, tok in enumerate(tokens):
        feats = ["bias", *_word_feats(tok, "")]
        feats += _word_feats(tokens[i - 1], "-1:") if i > 0 else ["BOS"]
        feats += _word_feats(tokens[i + 1], "+1:") if i + 1 < len(tokens) else ["EOS"]
        if i > 1:
            feats.append(f"-2:p={tokens[i - 2].plain}")
        if i + 2 < len(tokens):
            feats.append(f"+2:p={tokens[i + 2].plain}")
        out.append(feats)
    return out


def bio_labels(ex: Example, tokens: Sequence[Token],
               skip: frozenset[str] = frozenset()) -> list[str]:
    labels = ["O"] * len(tokens)
    for ann in ex.entities:
        if ann.entity in skip:
            continue
        inside = [i for i, t in enumerate(tokens) if t.start < ann.end and ann.start < t.end]
        for k, i in enumerate(inside):
            labels[i] = ("B-" if k == 0 else "I-") + ann.entity
    return labels


@dataclass(frozen=True, slots=True)
class Tagged:
    entity: str
    start: int  # offsets into the original text
    end: int
    confidence: float


class CrfTagger:
    """Trained on the annotated examples; stores the crfsuite model bytes so it pickles."""

    def __init__(self, model_bytes: bytes, entity_types: Sequence[str]) -> None:
        self.model_bytes = model_bytes
        self.entity_types = tuple(entity_types)
        self._tagger: pycrfsuite.Tagger | None = None

    def __getstate__(self) -> dict[str, object]:
        return {"model_bytes": self.model_bytes, "entity_types": self.entity_types}

    def __setstate__(self, state: dict[str, object]) -> None:
        self.model_bytes = state["model_bytes"]  # type: ignore[assignment]
        self.entity_types = state["entity_types"]  # type: ignore[assignment]
        self._tagger = None

    @classmethod
    def train(cls, examples: Sequence[Example], c2: float = 0.05,
              skip: frozenset[str] = frozenset()) -> CrfTagger | None:
        """Train on every example; entity types in ``skip`` are left unlabelled."""
        annotated = [e for e in examples if any(a.entity not in skip for a in e.entities)]
        if not annotated:
            return None
        trainer = pycrfsuite.Trainer(verbose=False)
        for ex in examples:
            toks = tokenize(ex.text)
            if toks:
                trainer.append(sentence_features(toks), bio_labels(ex, toks, skip))
        trainer.set_params({"c1": 0.05, "c2": c2, "max_iterations": 100,
                            "feature.possible_transitions": True})
        fd, path = tempfile.mkstemp(suffix=".crfsuite")
        os.close(fd)
        try:
            trainer.train(path)
            with open(path, "rb") as fh:
                data = fh.read()
        finally:
            os.unlink(path)
        types = sorted({a.entity for e in annotated for a in e.entities if a.entity not in skip})
        return cls(data, types)

    def _get(self) -> pycrfsuite.Tagger:
        if self._tagger is None:
            tagger = pycrfsuite.Tagger()
            tagger.open_inmemory(self.model_bytes)
            self._tagger = tagger
        return self._tagger

    def tag(self, tokens: Sequence[Token]) -> list[Tagged]:
        if not tokens:
            return []
        tagger = self._get()
        labels = tagger.tag(sentence_features(tokens))
        out: list[Tagged] = []
        i = 0
        while i < len(labels):
            lab = labels[i]
            if lab == "O":
                i += 1
                continue
            ent = lab[2:]
            j = i + 1
            while j < len(labels) and labels[j] == "I-" + ent:
                j += 1
            conf = min(tagger.marginal(labels[k], k) for k in range(i, j))
            out.append(Tagged(ent, tokens[i].start, tokens[j - 1].end, float(conf)))
            i = j
        return out

    def tag_text(self, text: str) -> list[Tagged]:
        return self.tag(tokenize(normalize(text)))
