"""Catalog search: diacritics, abbreviations, filters and boosts, bad input, index freshness."""

from __future__ import annotations

import unicodedata

import pytest
from sqlalchemy import select

from storage.db import Database
from storage.errors import InvalidValue
from storage.models import Event, Technology
from storage.repos import catalog
from storage.search import CatalogSearch


async def _codes(db: Database, query: str, **kw: object) -> list[str]:
    async with db.session() as s:
        return [h.code for h in await CatalogSearch().technologies(s, query, **kw)]  # type: ignore[arg-type]


async def test_same_results_with_and_without_diacritics(small_catalog: Database) -> None:
    with_marks = await _codes(small_catalog, "công nghệ sấy vải thiều")
    assert with_marks[0] == "T-001"
    assert with_marks == await _codes(small_catalog, "cong nghe say vai thieu")
    assert with_marks == await _codes(small_catalog, "CÔNG NGHỆ SẤY VẢI THIỀU")
    decomposed = unicodedata.normalize("NFD", "công nghệ sấy vải thiều")
    assert with_marks == await _codes(small_catalog, decomposed)


async def test_abbreviations_are_expanded(small_catalog: Database) -> None:
    assert await _codes(small_catalog, "cn say vai thieu") == await _codes(
        small_catalog, "công nghệ sấy vải thiều")
    assert (await _codes(small_catalog, "xu ly nc thai chan nuoi"))[0] == "T-003"


async def test_pending_and_archived_are_not_found(small_catalog: Database) -> None:
    assert "T-006" not in await _codes(small_catalog, "sấy vải thiều", k=10)


async def test_hits_carry_a_vietnamese_reason(small_catalog: Database) -> None:
    async with small_catalog.session() as s:
        hit = (await CatalogSearch().technologies(s, "cong nghe say vai thieu"))[0]
    assert hit.reason.startswith("khớp: ")
    assert "vải thiều" in hit.reason and "sấy" in hit.reason
    assert "Chế biến nông sản" in hit.reason and "Hà Nội" in hit.reason
    assert hit.to_dict()["province"] == "Hà Nội" and hit.to_dict()["province_id"] == "ha_noi"


async def test_province_boost_and_filter(small_catalog: Database) -> None:
    plain = await _codes(small_catalog, "sấy vải thiều")
    boosted = await _codes(small_catalog, "sấy vải thiều", province="Bắc Giang")  # now Bắc Ninh
    assert set(boosted) == set(plain)  # a boost never hides anything
    assert boosted.index("T-007") < plain.index("T-007")
    strict = await _codes(small_catalog, "sấy vải thiều", province="bac_ninh", strict=True)
    assert strict and set(strict) <= {"T-002", "T-007"}
    named = await _codes(small_catalog, "sấy vải thiều ở Bắc Ninh")
    assert named.index("T-007") <= plain.index("T-007")


async def test_sector_boost_and_filter(small_catalog: Database) -> None:
    strict = await _codes(small_catalog, "vải thiều", sector="post_harvest", strict=True)
    assert strict == ["T-002"]
    boosted = await _codes(small_catalog, "vải thiều", sector="Bảo quản sau thu hoạch")
    assert boosted[0] == "T-002" and len(boosted) > 1


async def test_unknown_filters(small_catalog: Database) -> None:
    assert await _codes(small_catalog, "sấy vải", province="Atlantis")  # boost: ignored
    async with small_catalog.session() as s:
        with pytest.raises(InvalidValue, match="tỉnh/thành"):
            await CatalogSearch().technologies(s, "sấy", province="Atlantis", strict=True)
        with pytest.raises(InvalidValue, match="lĩnh vực"):
            await CatalogSearch().technologies(s, "sấy", sector="vũ trụ", strict=True)


@pytest.mark.parametrize("query", [
    "", "   ", "!!! ??? 🙂", "'; DROP TABLE technologies; --", "\" OR 1=1 --", "%_%",
    "sấy " * 2500, "x" * 10_000,
])
async def test_bad_queries_do_not_crash(small_catalog: Database, query: str) -> None:
    codes = await _codes(small_catalog, query)
    assert len(codes) <= 5
    if not query.strip() or query.startswith(("x", "!", "%")):
        assert codes == []
    async with small_catalog.session() as s:  # the catalog is intact
        assert await catalog.get_technology(s, "T-001") is not None


async def test_empty_query_with_filter_lists_matching_rows(small_catalog: Database) -> None:
    codes = await _codes(small_catalog, "", sector="environment", strict=True)
    assert codes == ["T-003"]


async def test_index_follows_catalog_changes(small_catalog: Database) -> None:
    """After a write the previous index answers while the new one is built in the background."""
    search = CatalogSearch()
    async with small_catalog.session() as s:
        assert [h.code for h in await search.technologies(s, "tách hạt sen")] == []
        s.add(Technology(code="T-100", title="Máy tách hạt sen tự động", sector="mechanics",
                         status="published"))
        await s.commit()
        assert await search.technologies(s, "tach hat sen") == []  # stale, not blocked
        await search.wait_rebuilds()
        hits = await search.technologies(s, "tach hat sen")
        assert [h.code for h in hits] == ["T-100"] and "tách hạt sen" in hits[0].reason.lower()
        tech = await catalog.get_technology(s, "T-100")
        assert tech is not None
        tech.status = "archived"
        await s.commit()
        await search.technologies(s, "tách hạt sen")
        await search.wait_rebuilds()
        assert await search.technologies(s, "tách hạt sen") == []


async def test_failed_rebuild_keeps_the_previous_index(
        small_catalog: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from storage.search import refresh

    search = CatalogSearch()
    async with small_catalog.session() as s:
        before = [h.code for h in await search.technologies(s, "sấy vải thiều")]
        assert before
        s.add(Technology(code="T-101", title="Lò sấy vải thiều mini", status="published"))
        await s.commit()

        async def broken(_session: object, _kind: str) -> None:
            raise RuntimeError("database went away")

        monkeypatch.setattr(refresh, "build", broken)
        assert [h.code for h in await search.technologies(s, "sấy vải thiều")] == before
        await search.wait_rebuilds()
        assert [h.code for h in await search.technologies(s, "sấy vải thiều")] == before
        monkeypatch.undo()
        await search.technologies(s, "sấy vải thiều")
        await search.wait_rebuilds()
        assert "T-101" in [h.code for h in await search.technologies(s, "sấy vải thiều")]


async def test_experts(small_catalog: Database) -> None:
    search = CatalogSearch()
    async with small_catalog.session() as s:
        hits = await search.experts(s, "chuyên gia sấy nông sản")
        assert hits[0].code == "E-001"
        foreign = await search.experts(s, "chuyen gia bao quan lanh Nhat Ban")
        assert foreign[0].code == "E-002" and "Nhật Bản" in foreign[0].reason
        env = await search.experts(s, "nước thải", sector="environment", strict=True)
        assert [h.code for h in env] == ["E-003"]


async def test_events_upcoming_by_topic_then_date(small_catalog: Database) -> None:
    search = CatalogSearch()
    async with small_catalog.session() as s:
        by_date = [h.code for h in await search.events(s)]
        assert by_date == ["V-002", "V-001", "V-003"]  # V-004 is past
        topic = await search.events(s, "xử lý nước thải")
        assert topic[0].code == "V-003" and "V-004" not in [h.code for h in topic]
        assert "còn" in topic[0].reason
        assert [h.code for h in await search.events(s, kind="techmart")] == ["V-001"]
        assert [h.code for h in await search.events(s, kind="Chợ công nghệ")] == ["V-001"]
        with pytest.raises(InvalidValue, match="loại sự kiện"):
            await search.events(s, kind="lễ hội")
        assert [h.code for h in await search.events(s, province="Hà Nội", strict=True)] == [
            "V-002"]
        near_bn = await search.events(s, "", province="bac_ninh")
        assert near_bn[0].code == "V-001"


async def test_an_event_changed_between_two_searches_is_found_by_its_new_words(
        small_catalog: Database) -> None:
    """The index of upcoming events is kept between searches, but not past a change."""
    search = CatalogSearch()
    async with small_catalog.session() as s:
        assert "V-002" not in [h.code for h in await search.events(s, "nuôi ong lấy mật")][:1]
    async with small_catalog.transaction() as s:
        event = (await s.execute(select(Event).where(Event.code == "V-002"))).scalar_one()
        event.title = "Hội thảo nuôi ong lấy mật"
    async with small_catalog.session() as s:
        found = await search.events(s, "nuôi ong lấy mật")
    assert found[0].code == "V-002" and "ong" in found[0].reason


async def test_empty_catalog(db: Database) -> None:
    search = CatalogSearch()
    async with db.session() as s:
        assert await search.technologies(s, "sấy vải thiều") == []
        assert await search.experts(s, "sấy", sector="post_harvest") == []
        assert await search.events(s, "hội thảo") == []


async def test_large_catalog_rebuilt_in_its_own_process(
        small_catalog: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The process-built index (own connection, same schema) answers like one built here."""
    from storage.search import refresh

    monkeypatch.setattr(refresh, "OWN_PROCESS_ROWS", 0)
    search = CatalogSearch()
    async with small_catalog.session() as s:
        await search.technologies(s, "sấy vải thiều")
        s.add(Technology(code="T-102", title="Máy tách hạt sen", status="published"))
        await s.commit()
        await search.technologies(s, "tách hạt sen")
        await search.wait_rebuilds()
        assert [h.code for h in await search.technologies(s, "tách hạt sen")] == ["T-102"]
        there = await search.technologies(s, "sấy vải thiều", province="Bắc Giang")
        here = await CatalogSearch().technologies(s, "sấy vải thiều", province="Bắc Giang")
    assert there and [(h.code, h.score, h.reason) for h in there] == [
        (h.code, h.score, h.reason) for h in here]
