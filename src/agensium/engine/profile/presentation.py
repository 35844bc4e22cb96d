"""Small helpers shared by the profile agents: score bands, number formatting, chart and table dicts."""

from __future__ import annotations

import math
from typing import Any, Literal

Status = Literal["excellent", "good", "fair", "poor", "info", "warning", "critical"]


def grade(score: float | None) -> str | None:
    if score is None:
        return None
    for g, lo in (("A", 90), ("B", 80), ("C", 70), ("D", 60)):
        if score >= lo:
            return g
    return "F"


def band(score: float | None, excellent: float = 90, good: float = 75, fair: float = 50) -> Status:
    if score is None:
        return "info"
    if score >= excellent:
        return "excellent"
    if score >= good:
        return "good"
    if score >= fair:
        return "fair"
    return "poor"


def fmt(v: Any, digits: int = 6) -> str:
    """Compact human number (6 significant digits) for messages."""
    if v is None:
        return "n/a"
    if isinstance(v, float):
        if not math.isfinite(v):
            return str(v)
        return f"{v:.{digits}g}"
    return str(v)


def rnd(v: float | None, digits: int = 2) -> float | None:
    return None if v is None else round(v, digits)


def table(title: str, columns: list[str], rows: list[list[Any]], limit: int = 1000) -> dict[str, Any]:
    return {"title": title, "columns": columns, "rows": rows[:limit]}


def bar_chart(title: str, labels: list[Any], values: list[float], series: str = "count",
              x_title: str | None = None, y_title: str | None = None, kind: str = "bar") -> dict[str, Any]:
    chart: dict[str, Any] = {"title": title, "type": kind, "labels": labels,
                             "series": [{"name": series, "values": values}]}
    if x_title:
        chart["x_title"] = x_title
    if y_title:
        chart["y_title"] = y_title
    return chart


def pct(part: int | float, whole: int | float) -> float:
    return 0.0 if not whole else 100.0 * part / whole
