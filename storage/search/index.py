"""An in-memory BM25 index over catalog rows, with field weights and sector/province boosts.

Same scoring as bm25s's default (Lucene BM25, k1=1.5, b=0.75), written on numpy/scipy because
field weights enter as weighted term frequencies (BM25F-style) counted per row into compact
arrays: bm25s wants token-id lists, ~45M Python ints at 100,000 technologies. Scores of (term, row) pairs are
precomputed in a CSR matrix, so a query adds a few slices of one array.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

SECTOR_BOOST = 1.3
IMPLIED_SECTOR_BOOST = 1.15  # a sector only suggested by a query word ("sấy" → processing)
PROVINCE_BOOST = 1.25
PAIR_WEIGHT = 0.5
K1 = 1.5
B = 0.75

# One row's fields: (terms, integer weight) pairs.
Fields = Sequence[tuple[Sequence[str], int]]


@dataclass(frozen=True, slots=True)
class Scored:
    row_id: int
    score: float
    matched: tuple[str, ...]  # query terms found in the row


class BM25Index:
    """Rows: database ids, weighted fields, and their sector and province ids (lists)."""

    def __init__(self, row_ids: Sequence[int], rows: Iterable[Fields],
                 sectors: Sequence[Sequence[str]], provinces: Sequence[Sequence[str]]) -> None:
        self.row_ids = np.asarray(row_ids, dtype=np.int64)
        self.size = len(self.row_ids)
        self.vocab: dict[str, int] = {}
        terms, docs, tfs, lengths = array("i"), array("i"), array("f"), array("f")
        vocab = self.vocab
        for d, fields in enumerate(rows):
            occurrences: list[str] = []
            for words, weight in fields:  # integer weights: repeat, then count in C
                occurrences.extend(words if weight == 1 else list(words) * weight)
            counts = Counter(occurrences)
            for t in [t for t in counts if t not in vocab]:  # new terms are rare
                vocab[t] = len(vocab)
            terms.extend(map(vocab.__getitem__, counts))
            docs.extend([d] * len(counts))
            tfs.extend(counts.values())
            lengths.append(len(occurrences))
        self._matrix = _bm25_matrix(np.frombuffer(terms, dtype=np.int32),
                                    np.frombuffer(docs, dtype=np.int32),
                                    np.frombuffer(tfs, dtype=np.float32),
                                    np.frombuffer(lengths, dtype=np.float32),
                                    len(self.vocab), self.size)
        self._sector_rows = _rows_by_key(sectors)
        self._province_rows = _rows_by_key(provinces)

    def _postings(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        m = self._matrix
        start, end = m.indptr[term_id], m.indptr[term_id + 1]
        return m.indices[start:end], m.data[start:end]

    def _contains(self, term_id: int, rows: np.ndarray) -> np.ndarray:
        """Which of `rows` contain the term (postings are sorted: binary search, not isin)."""
        postings = self._postings(term_id)[0]
        if not len(postings):
            return np.zeros(len(rows), dtype=bool)
        pos = np.minimum(np.searchsorted(postings, rows), len(postings) - 1)
        return np.asarray(postings[pos] == rows)

    def _mask(self, table: dict[str, np.ndarray], key: str) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        rows = table.get(key)
        if rows is not None:
            mask[rows] = True
        return mask

    def search(
        self, query: Sequence[str], k: int = 5, *, sector: str | None = None,
        province: str | None = None, filter_sector: bool = False, filter_province: bool = False,
        implied_sectors: Sequence[str] = (),
    ) -> list[Scored]:
        """Top k rows by BM25 × boosts; rows without any query term are never returned."""
        known = [(t, self.vocab[t]) for t in query if t in self.vocab]
        if not known or k <= 0:
            return []
        scores = np.zeros(self.size, dtype=np.float64)
        for term, term_id in known:
            rows, weights = self._postings(term_id)
            # A pair repeats its two words: half weight keeps "vải thiều" from outvoting "sấy".
            scores[rows] += weights * (PAIR_WEIGHT if "_" in term else 1.0)
        if implied_sectors and sector is None:
            implied = np.zeros(self.size, dtype=bool)
            for key in implied_sectors:
                implied |= self._mask(self._sector_rows, key)
            scores = np.where(implied, scores * IMPLIED_SECTOR_BOOST, scores)
        for value, table, boost, strict in (
            (sector, self._sector_rows, SECTOR_BOOST, filter_sector),
            (province, self._province_rows, PROVINCE_BOOST, filter_province),
        ):
            if value is not None:
                mask = self._mask(table, value)
                scores = np.where(mask, scores, 0.0) if strict else np.where(
                    mask, scores * boost, scores)
        k = min(k, self.size)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        matched: list[list[str]] = [[] for _ in top]
        for term, term_id in known:
            for j in np.flatnonzero(self._contains(term_id, top)):
                matched[j].append(term)
        return [Scored(int(self.row_ids[i]), float(scores[i]), tuple(m))
                for i, m in zip(top, matched, strict=True)]

    def rows_with(self, *, sector: str | None = None, province: str | None = None) -> list[int]:
        """Row ids having this sector and/or province (an empty query with filters)."""
        mask = np.ones(self.size, dtype=bool)
        if sector is not None:
            mask &= self._mask(self._sector_rows, sector)
        if province is not None:
            mask &= self._mask(self._province_rows, province)
        return [int(r) for r in self.row_ids[mask]]


def _bm25_matrix(terms: np.ndarray, docs: np.ndarray, tfs: np.ndarray, lengths: np.ndarray,
                 n_terms: int, n_docs: int) -> sparse.csr_matrix:
    """(term × row) matrix of BM25 scores: idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))."""
    if n_docs == 0 or n_terms == 0:
        return sparse.csr_matrix((max(n_terms, 1), max(n_docs, 1)), dtype=np.float32)
    # float32 throughout: at 100,000 rows there are ~25M (term, row) pairs.
    df = np.bincount(terms, minlength=n_terms).astype(np.float32)
    idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    avg = float(lengths.mean()) or 1.0
    norm = (K1 * (1.0 - B + B * lengths / avg)).astype(np.float32)
    data = idf[terms] * tfs * np.float32(K1 + 1.0)
    data /= tfs + norm[docs]
    matrix = sparse.csr_matrix((data, (terms, docs)),
                               shape=(n_terms, n_docs))
    matrix.sort_indices()
    return matrix


def _rows_by_key(keys: Sequence[Sequence[str]]) -> dict[str, np.ndarray]:
    table: dict[str, list[int]] = {}
    for row, row_keys in enumerate(keys):
        for key in row_keys:
            table.setdefault(key, []).append(row)
    return {key: np.asarray(rows, dtype=np.int64) for key, rows in table.items()}
