"""A CRF sequence tagger (python-crfsuite, the engine behind sklearn-crfsuite) for annotated
entities that no lookup or pattern covers, so Rasa data with free-form entities still works."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import pycrfsuite

from nlu.loader import Example
from nlu.normalize import Token, normalize, strip_diacritics, tokenize


def _shape(text: str) -> str:
    if text.isdigit():
        return "d"
    if not text.isalpha():
        return "m" if any(ch.isdigit() for ch in text) else "x"
    if text.isupper():
        return "U" if len(text) > 1 else "u"
    return "T" if text[:1].isupper() else "a"


def _word_feats(tok: Token, prefix: str) -> list[str]:
    p = tok.plain
    feats = [f"{prefix}p={p}", f"{prefix}s={_shape(tok.text)}"]
    if prefix == "":
        feats += [f"suf={p[-3:]}", f"pre={p[:3]}", f"marks={tok.folded != p}"]
        if tok.folded != p:
            feats.append(f"f={tok.folded}")
    return feats


LexiconTags = Sequence[Sequence[str]]  # per token: "B-type"/"I-type" of lexicon matches


def sentence_features(tokens: Sequence[Token], lexicon: LexiconTags | None = None
                      ) -> list[list[str]]:
    """Per token: the word, its shape and affixes, a +-2 window, syllable bigrams (Vietnamese
    words are mostly two syllables) and lexicon membership of the token and its neighbours."""
    n = len(tokens)
    plains = [t.plain for t in tokens]
    out = []
    for i, tok in enumerate(tokens):
        feats = ["bias", *_word_feats(tok, "")]
        for off in (-2, -1, 1, 2):
            j = i + off
            if 0 <= j < n:
                feats += _word_feats(tokens[j], f"{off:+d}:") if abs(off) == 1 else [
                    f"{off:+d}:p={plains[j]}"]
            elif abs(off) == 1:
                feats.append("BOS" if off < 0 else "EOS")
        if i > 0:
            feats.append(f"bg-={plains[i - 1]}_{plains[i]}")
        if i + 1 < n:
            feats.append(f"bg+={plains[i]}_{plains[i + 1]}")
        if lexicon is not None:
            feats += [f"L={t}" for t in lexicon[i]]
            # A bare word that could be a name ("ca" for "cá") is one by its neighbours:
            # "nuoi ca", "trai ga" (soft lexicon tags, see Gazetteer.tags).
            for t in lexicon[i]:
                if t[0] == "~":
                    feats += [f"{t}|-1={plains[i - 1] if i else '^'}",
                              f"{t}|+1={plains[i + 1] if i + 1 < n else '$'}"]
            if i > 0:
                feats += [f"-1:L={t}" for t in lexicon[i - 1]]
            if i + 1 < n:
                feats += [f"+1:L={t}" for t in lexicon[i + 1]]
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
    def train(cls, examples: Sequence[Example], c1: float = 0.05, c2: float = 0.01,
              iterations: int = 15, skip: frozenset[str] = frozenset(), algorithm: str = "l2sgd",
              lexicon: Callable[[list[Token]], LexiconTags] | None = None,
              stripped_copies: bool = False) -> CrfTagger | None:
        """Train on every example; entity types in ``skip`` are left unlabelled.

        ``stripped_copies``: each example written with diacritics is also learnt as typed
        without them (same spans), so the tagger does not lean on marks many users never type."""
        annotated = [e for e in examples if any(a.entity not in skip for a in e.entities)]
        if not annotated:
            return None
        trainer = pycrfsuite.Trainer(verbose=False)
        for ex in examples:
            views = [ex.text]
            if stripped_copies:
                bare = strip_diacritics(normalize(ex.text).nfc)
                if len(bare) == len(ex.text) and bare != normalize(ex.text).folded:
                    views.append(bare)
            for text in views:
                toks = tokenize(text)
                if toks:
                    feats = sentence_features(toks, lexicon(toks) if lexicon else None)
                    trainer.append(feats, bio_labels(ex, toks, skip))
        trainer.select(algorithm)
        params: dict[str, object] = {"c2": c2, "max_iterations": iterations,
                                     "feature.possible_transitions": True}
        if algorithm == "lbfgs":
            params["c1"] = c1
        trainer.set_params(params)
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

    def tag(self, tokens: Sequence[Token], lexicon: LexiconTags | None = None) -> list[Tagged]:
        return self.tag_with_outside(tokens, lexicon)[0]

    def tag_with_outside(self, tokens: Sequence[Token], lexicon: LexiconTags | None = None,
                         asked: Iterable[int] = ()) -> tuple[list[Tagged], dict[int, float]]:
        """The tagged spans, and for the ``asked`` token indices the probability that the token
        is outside any entity (marginals cost time with many labels: only those asked)."""
        if not tokens:
            return [], {}
        tagger = self._get()
        labels = tagger.tag(sentence_features(tokens, lexicon))
        outside = {k: float(tagger.marginal("O", k)) for k in asked if 0 <= k < len(labels)}
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
        return out, outside

    def tag_text(self, text: str) -> list[Tagged]:
        return self.tag(tokenize(normalize(text)))
