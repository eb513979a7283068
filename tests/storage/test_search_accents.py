"""A word typed with diacritics matches only that word: "nấm" (mushroom) is not "Nam"."""

from __future__ import annotations

from storage.db import Database
from storage.models import Technology
from storage.search import CatalogSearch


async def _add_rows(db: Database) -> None:
    async with db.transaction() as s:
        s.add(Technology(code="T-201", title="Quy trình trồng nấm linh chi trên mùn cưa",
                         sector="agri_processing", status="published", province="ha_noi"))
        s.add(Technology(code="T-202", title="Máy sấy lạnh của Công ty Phương Nam",
                         sector="agri_processing", status="published", province="ha_noi"))
        s.add(Technology(code="T-203", title="Quy trinh trong nam rom quy mo ho gia dinh",
                         sector="agri_processing", status="published", province="ha_noi"))


async def _search(db: Database, query: str) -> list[tuple[str, str]]:
    async with db.session() as s:
        return [(h.code, h.reason) for h in await CatalogSearch().technologies(s, query, k=10)]


async def test_accented_query_word_needs_the_accented_match(small_catalog: Database) -> None:
    await _add_rows(small_catalog)
    hits = dict(await _search(small_catalog, "trồng nấm"))
    assert "T-201" in hits and "nấm" in hits["T-201"]
    assert "T-203" in hits  # a row typed without diacritics may mean "nấm"
    assert "T-202" not in hits  # only "Nam", a name


async def test_other_words_keep_a_row_but_never_explain_it_with_the_wrong_word(
        small_catalog: Database) -> None:
    await _add_rows(small_catalog)
    hits = dict(await _search(small_catalog, "máy sấy lạnh nấm"))
    assert "T-202" in hits  # "máy sấy lạnh" matched as written
    terms = hits["T-202"].split(" · ")[0]
    assert terms.startswith("khớp: ") and "sấy lạnh" in terms and "nam" not in terms.lower()
    assert "T-201" in hits and list(hits).index("T-202") < list(hits).index("T-201")


async def test_query_without_diacritics_keeps_its_recall(small_catalog: Database) -> None:
    await _add_rows(small_catalog)
    hits = dict(await _search(small_catalog, "trong nam"))
    assert {"T-201", "T-202", "T-203"} <= set(hits)
