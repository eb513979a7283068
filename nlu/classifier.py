"""Linear intent classifier with temperature-calibrated probabilities and a fast predict path.

Training uses scikit-learn (logistic regression on sparse features). Prediction does not call
scikit-learn: the weights are kept as a dense (features x classes) array and a message's few
hundred active features are looked up in a dict and summed with one numpy gather, which keeps a
parse well under a millisecond.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from scipy.optimize import minimize_scalar
from sklearn.linear_model import LogisticRegression
from sklearn.svm import LinearSVC

from nlu.features import BLOCKS, FeatureConfig, block_weights, featurize, weigh
from nlu.noise import noisy_copy
from nlu.normalize import Normalized, normalize, strip_diacritics


@dataclass(frozen=True, slots=True)
class ClassifierConfig:
    features: FeatureConfig = field(default_factory=FeatureConfig)
    C: float = 1.0
    model: str = "svm"  # "logreg" (multinomial) or "svm" (one-vs-rest LinearSVC)
    class_weight: str | None = None
    augment_stripped: bool = True
    noise: bool = True  # one noisy copy per example (nlu/noise.py)
    # and one of the example typed without diacritics (teen code, typos on the bare words)
    noise_stripped: bool = True


def softmax(scores: np.ndarray, temperature: float) -> np.ndarray:
    z = scores / temperature
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    out: np.ndarray = e / e.sum(axis=-1, keepdims=True)
    return out


def stripped_copy(text: str) -> str:
    """The message as typed without diacritics (what many users send)."""
    return strip_diacritics(normalize(text).nfc)


@dataclass
class IntentModel:
    cfg: ClassifierConfig
    classes: list[str]
    vocab: dict[str, int]
    idf: list[float]
    weights: np.ndarray  # (n_features, n_classes) float32
    bias: np.ndarray  # (n_classes,)
    temperature: float = 1.0
    # Fast path: idf and block of every feature as arrays, block weights in BLOCKS order.
    idf_arr: np.ndarray = field(default_factory=lambda: np.zeros(0))
    block_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    block_w: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def prepare(self) -> None:
        self.idf_arr = np.asarray(self.idf, dtype=np.float64)
        kinds = {k: BLOCKS.index("w" if k[0] == "b" else k[0]) for k in self.vocab}
        self.block_ids = np.zeros(len(self.vocab), dtype=np.int64)
        for k, j in self.vocab.items():
            self.block_ids[j] = kinds[k]
        bw = block_weights(self.cfg.features)
        self.block_w = np.asarray([bw[b] for b in BLOCKS], dtype=np.float64)

    def scores(self, norm: Normalized) -> np.ndarray:
        """Decision scores; the same arithmetic as ``features.weigh`` done with numpy."""
        feats = featurize(norm, self.cfg.features)
        get = self.vocab.get
        idx = np.fromiter((get(k, -1) for k in feats), dtype=np.int64, count=len(feats))
        keep = idx >= 0
        if not keep.any():
            return self.bias.copy()
        idx = idx[keep]
        x = np.fromiter(feats.values(), dtype=np.float64, count=len(feats))[keep]
        x *= self.idf_arr[idx]
        blk = self.block_ids[idx]
        norms = np.sqrt(np.bincount(blk, weights=x * x, minlength=len(BLOCKS)))
        scale = np.divide(self.block_w, norms, out=np.zeros_like(norms), where=norms > 0)
        x *= scale[blk]
        out: np.ndarray = x.astype(np.float32) @ self.weights[idx] + self.bias
        return out

    def slow_scores(self, norm: Normalized) -> np.ndarray:
        """Reference implementation through ``features.weigh`` (used by the tests)."""
        feats = featurize(norm, self.cfg.features)
        idx, vals = weigh(feats, self.vocab, self.idf, block_weights(self.cfg.features))
        if not idx:
            return self.bias.copy()
        out: np.ndarray = np.asarray(vals, dtype=np.float32) @ self.weights[idx] + self.bias
        return out

    def proba(self, norm: Normalized) -> np.ndarray:
        return softmax(self.scores(norm), self.temperature)

    def batch_scores(self, texts: Sequence[str]) -> np.ndarray:
        return np.stack([self.scores(normalize(t)) for t in texts])


def _matrix(
    feats: Sequence[dict[str, float]], vocab: dict[str, int], idf: list[float], cfg: FeatureConfig
) -> sparse.csr_matrix:
    """The rows of ``features.weigh`` for many texts at once (TF-IDF, L2 per block, weighted)."""
    indptr = [0]
    indices: list[int] = []
    data: list[float] = []
    get = vocab.get
    for f in feats:
        for k, v in f.items():
            j = get(k)
            if j is not None:
                indices.append(j)
                data.append(v)
        indptr.append(len(indices))
    n = len(feats)
    X = sparse.csr_matrix((np.asarray(data, dtype=np.float64), np.asarray(indices, dtype=np.int64),
                           np.asarray(indptr, dtype=np.int64)), shape=(n, len(vocab)))
    if not X.nnz:
        return X
    X.data *= np.asarray(idf, dtype=np.float64)[X.indices]
    block_of = np.zeros(len(vocab), dtype=np.int64)
    for k, j in vocab.items():
        block_of[j] = BLOCKS.index("w" if k[0] == "b" else k[0])
    bw = block_weights(cfg)
    block_w = np.asarray([bw[b] for b in BLOCKS], dtype=np.float64)
    nb = len(BLOCKS)
    key = np.repeat(np.arange(n), np.diff(X.indptr)) * nb + block_of[X.indices]
    norms = np.sqrt(np.bincount(key, weights=X.data * X.data, minlength=n * nb))
    X.data *= block_w[key % nb] / norms[key]
    return X


def augmented_rows(texts: Sequence[str], cfg: ClassifierConfig) -> list[tuple[int, str]]:
    """(index of the example, text) of every training row: the examples, a diacritic-stripped
    and a noisy copy of each (nlu/noise.py), so the ways people type are learnt, and a noisy
    copy of the stripped text: a message typed without diacritics also carries teen code and
    typos, which the half-stripped noisy copy rarely shows on bare words (cross-validated)."""
    rows = list(enumerate(texts))
    if cfg.augment_stripped:
        for i, t in enumerate(texts):
            s = stripped_copy(t)
            if s != normalize(t).folded:
                rows.append((i, s))
    if cfg.noise:
        for i, t in enumerate(texts):
            n = noisy_copy(t)
            if n != t:
                rows.append((i, n))
    if cfg.noise_stripped:
        for i, t in enumerate(texts):
            s = stripped_copy(t)
            n = noisy_copy(s, seed=31)
            if n != s:
                rows.append((i, n))
    return rows


def augmented(texts: Sequence[str], labels: Sequence[str], cfg: ClassifierConfig
              ) -> tuple[list[str], list[str]]:
    rows = augmented_rows(texts, cfg)
    return [t for _, t in rows], [labels[i] for i, _ in rows]


def fit(texts: Sequence[str], labels: Sequence[str], cfg: ClassifierConfig) -> IntentModel:
    texts_a, labels_a = augmented(texts, labels, cfg)
    return fit_features([featurize(t, cfg.features) for t in texts_a], labels_a, cfg)


def fit_features(feats: Sequence[dict[str, float]], labels_a: Sequence[str],
                 cfg: ClassifierConfig) -> IntentModel:
    """Fit on already featurized (and augmented) examples: cross-validation featurizes once."""
    vocab: dict[str, int] = {}
    df: list[int] = []
    for f in feats:
        for k in f:
            j = vocab.setdefault(k, len(vocab))
            if j == len(df):
                df.append(0)
            df[j] += 1
    n = len(feats)
    idf = [math.log((1 + n) / (1 + d)) + 1.0 for d in df]
    X = _matrix(feats, vocab, idf, cfg.features)
    classes = sorted(set(labels_a))
    if len(classes) < 2:
        raise ValueError("training data needs at least two intents")
    clf: LogisticRegression | LinearSVC
    if cfg.model == "svm":
        clf = LinearSVC(C=cfg.C, max_iter=5000, class_weight=cfg.class_weight)
    else:
        clf = LogisticRegression(C=cfg.C, max_iter=3000, tol=1e-4)
    clf.fit(X, labels_a)
    order = [list(clf.classes_).index(c) for c in classes]
    weights = np.ascontiguousarray(clf.coef_[order].T, dtype=np.float32)
    bias = np.asarray(clf.intercept_[order], dtype=np.float32)
    model = IntentModel(cfg, classes, vocab, idf, weights, bias)
    model.prepare()
    return model


def fit_temperature(scores: np.ndarray, gold_idx: np.ndarray) -> float:
    """Temperature minimising the negative log-likelihood of out-of-fold scores."""

    def nll(log_t: float) -> float:
        p = softmax(scores, float(np.exp(log_t)))
        return float(-np.mean(np.log(p[np.arange(len(gold_idx)), gold_idx] + 1e-12)))

    res = minimize_scalar(nll, bounds=(-3.0, 3.0), method="bounded")
    return float(np.exp(res.x))
