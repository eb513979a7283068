"""The compact BM25 index: rows cut into blocks rank exactly as one block; extreme rows build."""

from __future__ import annotations

import pytest

from storage.db import Database
from storage.search import CatalogSearch, index
from storage.search.index import BM25Index
from storage.search.text import query_terms, query_words

QUERIES = ["công nghệ sấy vải thiều", "xu ly nc thai chan nuoi", "bảo quản lạnh", "máy"]


async def _ranked(db: Database, query: str, **kw: object) -> list[tuple[str, float, str]]:
    async with db.session() as s:
        hits = await CatalogSearch().technologies(s, query, k=10, **kw)  # type: ignore[arg-type]
    return [(h.code, h.score, h.reason) for h in hits]


async def test_blocks_of_rows_rank_like_one_block(
        demo_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo catalog split into blocks of 7 rows gives the same hits, scores and reasons."""
    whole = {q: await _ranked(demo_db, q, province="Bắc Giang") for q in QUERIES}
    monkeypatch.setattr(index, "BLOCK_ROWS", 7)
    blocked = {q: await _ranked(demo_db, q, province="Bắc Giang") for q in QUERIES}
    assert blocked == whole
    assert all(whole[q] for q in QUERIES[:3])


def test_index_of_extreme_rows() -> None:
    """A word repeated past the uint16 range, an empty row and duplicate words still index."""
    spam = ["say"] * 70_000
    idx = BM25Index([1, 2, 3], [[(spam, 3)], [], [(["say", "vai", "say_vai"], 1)]],
                    [["agri_processing"], [], []], [[], ["bac_giang"], []])
    hits = idx.search(query_terms(query_words("sấy vải")), 5)
    assert [h.row_id for h in hits] == [3, 1]
    assert hits[0].matched == ("say", "vai", "say_vai") and hits[1].matched == ("say",)
    assert idx.rows_with(province="bac_giang") == [2]
    assert idx.search(["khong_co"], 5) == [] and idx.search(["say"], 0) == []


def test_empty_index() -> None:
    idx = BM25Index([], [], [], [])
    assert idx.size == 0 and idx.search(["say"], 5) == [] and idx.rows_with(sector="x") == []
    assert idx.nbytes < 1000


def test_a_repeated_search_answers_the_same_whatever_the_caller_did_with_the_first() -> None:
    def build() -> BM25Index:
        return BM25Index([1, 2, 3], [[(["say", "vai"], 1)], [(["say"], 1)], [(["vai"], 1)]],
                         [["agri_processing"], [], []], [[], ["bac_giang"], []])

    idx, fresh = build(), build()
    terms = query_terms(query_words("sấy vải"))
    first = idx.search(terms, 5)
    first.clear()  # the caller's own list
    assert idx.search(terms, 5) == fresh.search(terms, 5) != []
    # the boost is part of the question: the kept answer without it is not given
    boosted = idx.search(terms, 5, province="bac_giang")
    assert boosted == fresh.search(terms, 5, province="bac_giang") != idx.search(terms, 5)
    assert idx.search(terms, 1) == fresh.search(terms, 1)
