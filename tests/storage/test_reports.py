"""Report figures on a fixed dataset equal the hand-counted ones, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from storage import reports
from storage.db import Database
from storage.errors import NotFound
from storage.reports import Period, Scope
from tests.storage import report_data

Q1 = Period(date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
async def dataset(db: Database) -> dict[str, Any]:
    return await report_data.build(db)


async def test_network_quarter_every_figure(db: Database, dataset: dict[str, Any]) -> None:
    fig = await reports.figures(db, Q1, now=dataset["now"])
    assert fig.scope == "Toàn mạng lưới"
    assert fig.demands == {
        "total": 4,
        "by_type": {"find_technology": 3, "find_expert": 1},
        "by_sector": {"post_harvest": 2, "biotech": 1, "unknown": 1},
        "by_province": {"bac_ninh": 2, "ha_noi": 1, "unknown": 1},
        "by_month": {"2026-01": 1, "2026-02": 1, "2026-03": 2},
        "by_channel": {"telegram": 2, "zalo": 1, "console": 1},
    }
    assert fig.pipeline == {
        "reached": {"new": 4, "assigned": 0, "proposed": 0, "connected": 2, "closed": 2,
                    "matched": 3, "rejected": 0},
        "median_hours": {"new_to_assigned": None, "new_to_connected": 37.5},
        # The two closed demands of the dataset were closed without an outcome being recorded.
        "outcomes": {"unknown": 2},
    }
    assert fig.supply == {"technologies_proposed": 3, "experts_proposed": 2, "introductions": 0,
                          "connections": 3}
    assert fig.catalog == {
        "technologies": 3, "by_sector": {"post_harvest": 2, "biotech": 1},
        "by_stage": {"pilot": 1, "commercial": 1, "unknown": 1},
        "offers_received": 2, "offers_approved": 1,
    }
    assert fig.events == {
        "held": 3, "by_kind": {"techmart": 1, "workshop": 1, "training": 1},
        "registrations": 6, "attendance": 0, "expos": 1, "workshops": 1,
        "training_classes": 1, "training_participants": 3,
    }
    assert fig.audience == {
        "users_by_channel": {"telegram": 1, "zalo": 1, "console": 1}, "new_users": 2,
        "subscribers": 2,
        "subscribers_by_sector": {"all": 1, "post_harvest": 1, "biotech": 1},
        "subscribers_by_province": {"all": 1, "bac_ninh": 1},
        "broadcasts": 0, "broadcast_messages_delivered": 0,
    }
    assert fig.headline == {"demands": 4, "technologies_proposed": 3, "experts_proposed": 2,
                            "connections": 3, "expos": 1, "workshops": 1, "training_classes": 1,
                            "training_participants": 3}


async def test_figures_that_wait_for_a_feature_carry_a_note(
        db: Database, dataset: dict[str, Any]) -> None:
    fig = await reports.figures(db, Q1, now=dataset["now"])
    text = " ".join(fig.notes)
    assert "tham dự" in text
    # The pipeline, broadcasts and expert introductions have their tables now: counted,
    # without a waiting note.
    assert "phân công" not in text and "gửi tin" not in text
    assert "giới thiệu chuyên gia" not in text
    assert fig.to_dict()["notes"] == fig.notes


async def test_point_scope(db: Database, dataset: dict[str, Any]) -> None:
    fig = await reports.figures(db, Q1, Scope(point="bn"), now=dataset["now"])
    assert fig.scope == "Điểm Bắc Ninh"
    assert fig.demands["total"] == 2
    assert fig.demands["by_month"] == {"2026-01": 1, "2026-02": 1, "2026-03": 0}
    assert fig.demands["by_channel"] == {"telegram": 1, "zalo": 1}
    assert fig.pipeline["reached"]["connected"] == 1
    assert fig.pipeline["median_hours"]["new_to_connected"] == 48.0
    assert fig.supply == {"technologies_proposed": 3, "experts_proposed": 1, "introductions": 0,
                          "connections": 2}
    assert (fig.catalog["technologies"], fig.catalog["offers_received"],
            fig.catalog["offers_approved"]) == (1, 1, 0)
    assert (fig.events["held"], fig.events["registrations"], fig.events["expos"]) == (1, 2, 1)
    assert fig.audience["users_by_channel"] == {"telegram": 1, "zalo": 1}
    assert (fig.audience["new_users"], fig.audience["subscribers"]) == (1, 2)


async def test_province_scope_and_national_point(db: Database, dataset: dict[str, Any]) -> None:
    fig = await reports.figures(db, Q1, Scope(province="ha_noi"), now=dataset["now"])
    assert fig.scope == "Hà Nội"
    assert fig.demands["total"] == 1 and fig.demands["by_type"] == {"find_expert": 1}
    assert fig.supply["experts_proposed"] == 2 and fig.supply["connections"] == 1
    assert fig.events["by_kind"] == {"workshop": 1}
    national = await reports.figures(db, Q1, Scope(point="QG"), now=dataset["now"])
    network = await reports.figures(db, Q1, now=dataset["now"])
    assert national.to_dict() | {"scope": ""} == network.to_dict() | {"scope": ""}


async def test_events_not_yet_held_are_not_counted(db: Database, dataset: dict[str, Any]) -> None:
    april = Period(date(2026, 4, 1), date(2026, 4, 30))
    fig = await reports.figures(db, april, now=dataset["now"])
    assert fig.events["held"] == 0 and fig.events["registrations"] == 0
    assert fig.demands["total"] == 1  # 00:30 on 1 April, local time


async def test_empty_period_gives_zeros(db: Database, dataset: dict[str, Any]) -> None:
    fig = await reports.figures(db, Period(date(2024, 1, 1), date(2024, 2, 29)),
                                now=dataset["now"])
    assert fig.demands["total"] == 0
    assert fig.demands["by_month"] == {"2024-01": 0, "2024-02": 0}
    assert set(fig.headline.values()) == {0}
    assert set(fig.pipeline["reached"].values()) == {0}
    assert fig.pipeline["median_hours"] == {"new_to_assigned": None, "new_to_connected": None}
    assert fig.audience["subscribers"] == 0


async def test_empty_database(db: Database) -> None:
    fig = await reports.figures(db, Q1)
    assert set(fig.headline.values()) == {0}
    assert fig.catalog["technologies"] == 0


async def test_unknown_point_is_a_clear_error(db: Database) -> None:
    with pytest.raises(NotFound, match="XX"):
        await reports.figures(db, Q1, Scope(point="XX"))


def test_presets() -> None:
    today = date(2026, 11, 30)
    assert reports.preset("month", today) == Period(date(2026, 11, 1), today)
    assert reports.preset("quarter", today) == Period(date(2026, 10, 1), today)
    assert reports.preset("year", today) == Period(date(2026, 1, 1), today)
    assert reports.preset("last_year", today) == Period(date(2025, 1, 1), date(2025, 12, 31))
    assert Q1.months() == ["2026-01", "2026-02", "2026-03"]
