"""The network's figures over a period and a scope, computed in SQL on SQLite and PostgreSQL.

    from storage import reports
    period = reports.Period(date(2026, 1, 1), date(2026, 12, 31))    # local days, inclusive
    fig = await reports.figures(db, period, reports.Scope(point="BN"))  # or province=..., or none
    fig.headline            # {"demands": 412, "technologies_proposed": ..., ...} (HEADLINE labels)
    fig.to_dict()           # every figure, for --json; fig.notes: figures that read 0 for now

Figures that depend on a feature not in use yet (the staff pipeline, expert introductions,
broadcasts, attendance) read 0 with a note, and fill in once its table or column exists.
"""

from storage.reports.figures import HEADLINE, Figures, figures
from storage.reports.period import PRESETS, Period, Scope, preset

__all__ = ["HEADLINE", "PRESETS", "Figures", "Period", "Scope", "figures", "preset"]
