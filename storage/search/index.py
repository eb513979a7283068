"""An in-memory BM25 index over catalog rows, with field weights and sector/province boosts.

Same scoring as bm25s's default (Lucene BM25, k1=1.5, b=0.75), written on numpy/scipy because
field weights enter as weighted term frequencies (BM25F-style).

Compact by design (100,000 technologies are ~22M (term, row) pairs): rows are cut into blocks of
`BLOCK_ROWS`, and each block keeps, per term, the rows containing it as uint16 offsets plus the
weighted term frequency as uint16 (4 bytes a pair); terms are known by their 64-bit hash in a
sorted array, not as Python strings. The hash is stable, so an index built in another process
answers here (two terms sharing a hash in one block, odds under 1e-7 even with a million terms,
would make one of them unfindable). Scores are computed at query time with the same float32
operations a precomputed matrix would use, so rankings are identical. Building goes block by
block, so its peak stays near one block's worth of arrays above the finished index.
"""

from __future__ import annotations

import hashlib
from array import array
from collections import Counter, OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse

SECTOR_BOOST = 1.3
IMPLIED_SECTOR_BOOST = 1.15  # a sector only suggested by a query word ("sấy" → processing)
PROVINCE_BOOST = 1.25
PAIR_WEIGHT = 0.5
SEARCHES_KEPT = 1024  # answers kept per index (a few hundred bytes each)
K1 = 1.5
B = 0.75
BLOCK_ROWS = 1 << 14  # rows per block: offsets fit uint16; bounds the build's transient memory
MAX_TF = np.iinfo(np.uint16).max  # BM25 saturates long before: a capped count scores the same

# One row's fields: (terms, integer weight) pairs.
Fields = Sequence[tuple[Sequence[str], int]]


def term_hash(term: str) -> int:
    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=8).digest(), "little",
                          signed=True)


@dataclass(frozen=True, slots=True)
class Scored:
    row_id: int
    score: float
    matched: tuple[str, ...]  # query terms found in the row


@dataclass(frozen=True, slots=True)
class _Block:
    """The postings of rows [offset, offset + rows): term hash → (row offsets, weighted tf)."""

    offset: int
    n_rows: int
    hashes: np.ndarray  # int64, sorted: the block's terms
    term_of: np.ndarray  # int32: position in `hashes` → term number in `indptr`
    indptr: np.ndarray  # int32, per term number: its slice of `rows` and `tfs`
    rows: np.ndarray  # uint16, ascending within a term
    tfs: np.ndarray  # uint16

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """Term numbers of the given hashes in this block, -1 where absent."""
        if not len(self.hashes):
            return np.full(len(hashes), -1, dtype=np.int64)
        pos = np.minimum(np.searchsorted(self.hashes, hashes), len(self.hashes) - 1)
        return np.where(self.hashes[pos] == hashes, self.term_of[pos], -1).astype(np.int64)

    def postings(self, term: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[term], self.indptr[term + 1]
        return self.rows[start:end], self.tfs[start:end]

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.hashes, self.term_of, self.indptr, self.rows, self.tfs))


class IndexBuilder:
    """Add rows one by one (`add`), then `finish()`; holds at most one open block of pairs."""

    def __init__(self) -> None:
        self._row_ids = array("q")
        self._lengths = array("f")
        self._sectors: dict[str, array[int]] = {}
        self._provinces: dict[str, array[int]] = {}
        self._blocks: list[_Block] = []
        self._open_block()

    def _open_block(self) -> None:
        self._terms: dict[str, int] = {}
        self._pair_terms, self._pair_tfs, self._pairs_per_row = array("i"), array("I"), array("i")

    def add(self, row_id: int, fields: Fields, sectors: Sequence[str],
            provinces: Sequence[str]) -> None:
        row = len(self._row_ids)
        occurrences: list[str] = []
        for words, weight in fields:  # integer weights: repeat, then count in C
            occurrences.extend(words if weight == 1 else list(words) * weight)
        counts = Counter(occurrences)
        terms = self._terms
        for t in [t for t in counts if t not in terms]:
            terms[t] = len(terms)
        self._pair_terms.extend(map(terms.__getitem__, counts))
        self._pair_tfs.extend(counts.values())
        self._pairs_per_row.append(len(counts))
        self._row_ids.append(row_id)
        self._lengths.append(len(occurrences))
        for table, keys in ((self._sectors, sectors), (self._provinces, provinces)):
            for key in keys:
                table.setdefault(key, array("i")).append(row)
        if len(self._pairs_per_row) == BLOCK_ROWS:
            self._close_block()

    def _close_block(self) -> None:
        n_rows = len(self._pairs_per_row)
        if n_rows == 0:
            return
        indptr = np.zeros(n_rows + 1, dtype=np.int64)
        np.cumsum(np.frombuffer(self._pairs_per_row, dtype=np.int32),
                  out=indptr[1:])
        tfs = np.minimum(np.frombuffer(self._pair_tfs, dtype=np.uint32), MAX_TF).astype(np.uint16)
        terms = np.frombuffer(self._pair_terms, dtype=np.int32)
        by_row = sparse.csr_matrix((tfs, terms, indptr), shape=(n_rows, len(self._terms)))
        del tfs, terms, indptr
        self._pair_terms = self._pair_tfs = array("i")  # free the row-major pairs first
        by_term = by_row.tocsc()  # counting sort in C: rows stay ascending within a term
        del by_row
        hashes = np.fromiter(map(term_hash, self._terms), dtype=np.int64,
                             count=len(self._terms))
        order = np.argsort(hashes)
        self._blocks.append(_Block(
            offset=len(self._row_ids) - n_rows, n_rows=n_rows, hashes=hashes[order],
            term_of=order.astype(np.int32), indptr=by_term.indptr.astype(np.int32),
            rows=by_term.indices.astype(np.uint16), tfs=by_term.data))
        self._open_block()

    def finish(self) -> BM25Index:
        self._close_block()
        lengths = np.frombuffer(self._lengths, dtype=np.float32)
        avg = float(lengths.mean()) if len(lengths) else 1.0
        norm = (K1 * (1.0 - B + B * lengths / (avg or 1.0))).astype(np.float32)
        return BM25Index.from_parts(
            np.frombuffer(self._row_ids, dtype=np.int64).copy(), self._blocks, norm,
            {k: np.frombuffer(v, dtype=np.int32).copy() for k, v in self._sectors.items()},
            {k: np.frombuffer(v, dtype=np.int32).copy() for k, v in self._provinces.items()})


class BM25Index:
    """Rows: database ids, weighted fields, and their sector and province ids (lists)."""

    row_ids: np.ndarray
    size: int
    _blocks: list[_Block]
    _norm: np.ndarray
    _sector_rows: dict[str, np.ndarray]
    _province_rows: dict[str, np.ndarray]

    def __init__(self, row_ids: Sequence[int], rows: Iterable[Fields],
                 sectors: Sequence[Sequence[str]], provinces: Sequence[Sequence[str]]) -> None:
        builder = IndexBuilder()
        for row_id, fields, row_sectors, row_provinces in zip(row_ids, rows, sectors, provinces,
                                                              strict=True):
            builder.add(row_id, fields, row_sectors, row_provinces)
        built = builder.finish()
        self._adopt(built)

    @classmethod
    def from_parts(cls, row_ids: np.ndarray, blocks: list[_Block], norm: np.ndarray,
                   sector_rows: dict[str, np.ndarray],
                   province_rows: dict[str, np.ndarray]) -> BM25Index:
        index = cls.__new__(cls)
        index.row_ids, index.size, index._blocks, index._norm = row_ids, len(row_ids), blocks, norm
        index._sector_rows, index._province_rows = sector_rows, province_rows
        return index

    def _adopt(self, other: BM25Index) -> None:
        self.row_ids, self.size, self._blocks = other.row_ids, other.size, other._blocks
        self._norm, self._sector_rows = other._norm, other._sector_rows
        self._province_rows = other._province_rows

    @property
    def nbytes(self) -> int:
        """Memory held by the index's arrays (the few dict entries of sectors/provinces aside)."""
        tables = [*self._sector_rows.values(), *self._province_rows.values()]
        return (self.row_ids.nbytes + self._norm.nbytes + sum(b.nbytes for b in self._blocks)
                + sum(a.nbytes for a in tables))

    def _mask(self, table: dict[str, np.ndarray], key: str) -> np.ndarray:
        mask = np.zeros(self.size, dtype=bool)
        rows = table.get(key)
        if rows is not None:
            mask[rows] = True
        return mask

    def _known(self, query: Sequence[str]) -> tuple[list[str], np.ndarray, np.ndarray]:
        """Query terms present in the index, their term numbers per block and their idf."""
        if not query or not self.size:
            return [], np.empty((0, 0), dtype=np.int64), np.empty(0, dtype=np.float32)
        hashes = np.fromiter(map(term_hash, query), dtype=np.int64, count=len(query))
        ids = np.stack([b.lookup(hashes) for b in self._blocks], axis=1)  # (term, block)
        df = np.zeros(len(query), dtype=np.int64)
        for j, block in enumerate(self._blocks):
            found = ids[:, j] >= 0
            at = ids[found, j]
            df[found] += block.indptr[at + 1] - block.indptr[at]
        keep = df > 0
        df32 = df[keep].astype(np.float32)
        idf = np.log1p((self.size - df32 + 0.5) / (df32 + 0.5)).astype(np.float32)
        return [t for t, k in zip(query, keep, strict=True) if k], ids[keep], idf

    def _term_scores(self, scores: np.ndarray, ids: np.ndarray, idf: np.float32,
                     weight: float) -> None:
        """Add one term's BM25 contribution: idf · tf·(k1+1) / (tf + k1·(1 − b + b·len/avglen))."""
        for block, term in zip(self._blocks, ids, strict=True):
            if term < 0:
                continue
            rows, tfs = block.postings(int(term))
            at = rows.astype(np.intp) + block.offset
            tf = tfs.astype(np.float32)
            values = idf * tf * np.float32(K1 + 1.0)
            values /= tf + self._norm[at]
            # A pair repeats its two words: half weight keeps "vải thiều" from outvoting "sấy".
            scores[at] += values * weight

    def search(
        self, query: Sequence[str], k: int = 5, *, sector: str | None = None,
        province: str | None = None, filter_sector: bool = False, filter_province: bool = False,
        implied_sectors: Sequence[str] = (),
    ) -> list[Scored]:
        """Top k rows by BM25 × boosts; rows without any query term are never returned.

        An index never changes once built (a changed catalog gets a new one), so the answers to
        its recent searches are kept: a repeated search costs no scoring of every row."""
        key = (tuple(query), k, sector, province, filter_sector, filter_province,
               tuple(implied_sectors))
        answers: OrderedDict[tuple[Any, ...], list[Scored]] = self.__dict__.setdefault(
            "_answers", OrderedDict())
        found = answers.get(key)
        if found is None:
            found = answers[key] = self._search(query, k, sector, province, filter_sector,
                                                filter_province, implied_sectors)
            if len(answers) > SEARCHES_KEPT:
                answers.popitem(last=False)
        else:
            answers.move_to_end(key)
        return list(found)

    def _search(self, query: Sequence[str], k: int, sector: str | None, province: str | None,
                filter_sector: bool, filter_province: bool,
                implied_sectors: Sequence[str]) -> list[Scored]:
        known, ids, idf = self._known(query)
        if not known or k <= 0:
            return []
        scores = np.zeros(self.size, dtype=np.float64)
        for i, term in enumerate(known):
            self._term_scores(scores, ids[i], idf[i], PAIR_WEIGHT if "_" in term else 1.0)
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
        matched = self._matched(known, ids, top)
        return [Scored(int(self.row_ids[i]), float(scores[i]), tuple(m))
                for i, m in zip(top, matched, strict=True)]

    def _matched(self, known: list[str], ids: np.ndarray, top: np.ndarray) -> list[list[str]]:
        """For each top row, the query terms it contains (postings are sorted: binary search)."""
        matched: list[list[str]] = [[] for _ in top]
        for i, term in enumerate(known):
            for j, block in enumerate(self._blocks):
                if ids[i, j] < 0:
                    continue
                here = np.flatnonzero((top >= block.offset) & (top < block.offset + block.n_rows))
                if not len(here):
                    continue
                postings = block.postings(int(ids[i, j]))[0]
                local = top[here] - block.offset
                pos = np.minimum(np.searchsorted(postings, local), len(postings) - 1)
                for h in here[postings[pos] == local]:
                    matched[h].append(term)
        return matched

    def rows_with(self, *, sector: str | None = None, province: str | None = None) -> list[int]:
        """Row ids having this sector and/or province (an empty query with filters)."""
        mask = np.ones(self.size, dtype=bool)
        if sector is not None:
            mask &= self._mask(self._sector_rows, sector)
        if province is not None:
            mask &= self._mask(self._province_rows, province)
        return [int(r) for r in self.row_ids[mask]]
