"""The report as a one-page PNG dashboard: the headline figures as big numbers, demands per
month, demands by sector and the pipeline funnel.

matplotlib's object API with the Agg canvas (no GUI, safe in a server) and DejaVu Sans, the
font shipped with matplotlib, which has every Vietnamese letter with its diacritics.
"""

from __future__ import annotations

import io
import textwrap
import threading
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from handlers.reporting import labels
from handlers.reporting.sections import number
from storage.reports import HEADLINE, Figures
from storage.reports.demand_figures import FUNNEL

WIDTH, HEIGHT, DPI = 16, 10, 100  # inches at DPI: 1600 × 1000 pixels
SIZE = (WIDTH * DPI, HEIGHT * DPI)
FONT = "DejaVu Sans"
FONT_FILE = Path(matplotlib.get_data_path()) / "fonts" / "ttf" / "DejaVuSans.ttf"
STYLE: Any = {"font.family": "sans-serif", "font.sans-serif": [FONT], "axes.spines.top": False,
         "axes.spines.right": False}
BLUE, GREEN, GREY = "#1F4E79", "#2E8B57", "#5F6B7A"
TOP_SECTORS = 8
# rc_context changes matplotlib's global settings: dashboards drawn in threads take turns.
_DRAWING = threading.Lock()


def _big_numbers(figure: Figure, fig: Figures) -> None:
    grid = figure.add_gridspec(2, 4, left=0.03, right=0.97, top=0.86, bottom=0.56)
    for n, (key, value) in enumerate(fig.headline.items()):
        ax = figure.add_subplot(grid[n // 4, n % 4])
        ax.axis("off")
        ax.text(0.5, 0.62, number(value), ha="center", va="center", fontsize=34,
                fontweight="bold", color=BLUE)
        ax.text(0.5, 0.12, textwrap.fill(HEADLINE[key], 30), ha="center", va="center",
                fontsize=12, color=GREY)


def _per_month(figure: Figure, fig: Figures, where: Any) -> None:
    ax = figure.add_subplot(where)
    months = fig.demands["by_month"]
    names = [labels.month(m) for m in months]
    ax.bar(names, list(months.values()), color=BLUE)
    ax.set_title("Nhu cầu tiếp nhận theo tháng", fontsize=13, loc="left")
    ax.tick_params(axis="x", labelrotation=45 if len(names) > 6 else 0, labelsize=9)
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))


def _by_sector(figure: Figure, fig: Figures, where: Any) -> None:
    ax = figure.add_subplot(where)
    items = list(fig.demands["by_sector"].items())[:TOP_SECTORS][::-1]
    ax.barh([textwrap.shorten(labels.sector(k), 26, placeholder="…") for k, _ in items],
            [v for _, v in items], color=GREEN)
    ax.set_title("Nhu cầu theo lĩnh vực", fontsize=13, loc="left")
    ax.tick_params(axis="y", labelsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))


def _funnel(figure: Figure, fig: Figures, where: Any) -> None:
    ax = figure.add_subplot(where)
    reached = fig.pipeline["reached"]
    values = [reached.get(s, 0) for s in FUNNEL][::-1]
    widest = max(values) or 1
    ax.barh([labels.STATUSES[s] for s in FUNNEL][::-1], values,
            left=[(widest - v) / 2 for v in values], color=BLUE)
    for y, v in enumerate(values):
        inside = v > widest * 0.2  # a narrow bar gets its number beside it
        ax.text(widest / 2 if inside else (widest + v) / 2 + widest * 0.03, y, number(v),
                ha="center" if inside else "left", va="center",
                color="white" if inside else GREY, fontsize=11, fontweight="bold")
    ax.set_xlim(0, widest)
    ax.set_xticks([])
    ax.spines["bottom"].set_visible(False)
    ax.set_title("Quy trình xử lý nhu cầu", fontsize=13, loc="left")


def draw(fig: Figures) -> Figure:
    """The dashboard as a matplotlib Figure (not yet rendered)."""
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
        FigureCanvasAgg(figure)
        figure.suptitle(f"Kết nối cung cầu công nghệ — {fig.scope}, {fig.period.label()}",
                        x=0.03, y=0.96, ha="left", fontsize=20, fontweight="bold")
        charts = figure.add_gridspec(1, 3, left=0.05, right=0.98, top=0.48, bottom=0.08,
                                     wspace=0.55, width_ratios=(1.4, 1.1, 1))
        _big_numbers(figure, fig)
        _per_month(figure, fig, charts[0, 0])
        _by_sector(figure, fig, charts[0, 1])
        _funnel(figure, fig, charts[0, 2])
        if fig.notes:
            figure.text(0.03, 0.015, f"Ghi chú: {len(fig.notes)} chỉ tiêu chưa có dữ liệu nên "
                        "ghi 0 (chi tiết ở trang Tổng hợp của tệp Excel).", fontsize=10,
                        color=GREY)
    return figure


def render(fig: Figures) -> bytes:
    """The dashboard as PNG bytes, SIZE pixels."""
    buf = io.BytesIO()
    with _DRAWING:
        figure = draw(fig)
        with matplotlib.rc_context(STYLE):
            figure.savefig(buf, format="png", dpi=DPI)
    return buf.getvalue()
