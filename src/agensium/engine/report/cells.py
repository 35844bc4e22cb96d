"""Turn arbitrary report values into safe, bounded cells and labels (shared by the Excel and HTML writers).

Reports carry whatever agents put in them: None, NaN, numpy scalars, nested dicts, megabyte strings,
non-string keys. Writers must never crash on any of it, so every value passes through here first.
"""

from __future__ import annotations

import json
import math
from datetime import date, datetime
from typing import Any

MAX_CELL_CHARS = 32_000
"""Excel refuses strings over 32,767 characters; HTML gets the same bound to stay readable."""


def scalar(value: Any, limit: int = MAX_CELL_CHARS) -> str | int | float | bool | None:
    """A JSON-like scalar for one cell: numbers stay numbers (finite only), everything else becomes text."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if not isinstance(value, list | dict | tuple | str | bytes):
        for method in ("to_list", "tolist", "item"):  # polars Series, numpy arrays and scalars
            if hasattr(value, method):
                try:
                    value = getattr(value, method)()
                    break
                except (ValueError, TypeError, AttributeError):
                    continue
    if isinstance(value, int):
        return value if abs(value) < 2**53 else str(value)
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, datetime | date):
        text = value.isoformat()
    elif isinstance(value, str):
        text = value
    elif isinstance(value, bytes):
        text = value.decode("utf-8", "replace")
    elif isinstance(value, dict | list | tuple | set):
        try:
            text = json.dumps(value if not isinstance(value, set) else sorted(map(str, value)),
                              ensure_ascii=False, default=str)
        except (TypeError, ValueError):
            text = str(value)
    else:
        text = str(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def text(value: Any, limit: int = MAX_CELL_CHARS) -> str:
    """The value as display text ("" for None/NaN)."""
    v = scalar(value, limit)
    if v is None:
        return ""
    if isinstance(v, float):
        return f"{v:.6g}" if abs(v) < 1e15 else f"{v:.4e}"
    return str(v)


def as_list(value: Any) -> list[Any]:
    if isinstance(value, list | tuple):
        return list(value)
    return []


def as_dict(value: Any) -> dict[str, Any]:
    if isinstance(value, dict):
        return {str(k): v for k, v in value.items()}
    return {}


def number(value: Any) -> float | None:
    v = scalar(value)
    if isinstance(v, bool):
        return float(v)
    return float(v) if isinstance(v, int | float) else None


def tables_of(data: Any) -> list[dict[str, Any]]:
    """The valid `data["tables"]` entries of an agent, normalised (columns as text, rows padded)."""
    out = []
    for t in as_list(as_dict(data).get("tables")):
        t = as_dict(t)
        cols = [text(c, 200) or f"column_{i + 1}" for i, c in enumerate(as_list(t.get("columns")))]
        rows = [as_list(r) for r in as_list(t.get("rows"))][:1000]
        width = max([len(cols)] + [len(r) for r in rows]) if (cols or rows) else 0
        cols = cols + [f"column_{i + 1}" for i in range(len(cols), width)]
        rows = [[scalar(c) for c in r] + [None] * (width - len(r)) for r in rows]
        if width:
            out.append({"title": text(t.get("title"), 200) or "Table", "columns": cols, "rows": rows})
    return out


def charts_of(data: Any) -> list[dict[str, Any]]:
    """The valid `data["charts"]` entries, normalised: labels as text, series values as numbers or None."""
    out = []
    for c in as_list(as_dict(data).get("charts")):
        c = as_dict(c)
        labels = [text(v, 100) for v in as_list(c.get("labels"))][:500]
        series = []
        for s in as_list(c.get("series")):
            s = as_dict(s)
            values = [number(v) for v in as_list(s.get("values"))][: len(labels)]
            values += [None] * (len(labels) - len(values))
            series.append({"name": text(s.get("name"), 100) or "value", "values": values})
        kind = text(c.get("type"), 20)
        kind = kind if kind in ("bar", "histogram", "line") else "bar"
        if labels and series:
            out.append({"title": text(c.get("title"), 200) or "Chart", "type": kind, "labels": labels,
                        "series": series, "x_title": text(c.get("x_title"), 100),
                        "y_title": text(c.get("y_title"), 100)})
    return out


_DELIMITER_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}


def input_lines(inputs: Any) -> list[tuple[str, str]]:
    """One line per input file plus how the reader understood it (encoding, delimiter, sheet, renames …)."""
    lines: list[tuple[str, str]] = []
    skip = {"rows", "columns", "format"}
    for role, inp in as_dict(inputs).items():
        inp = as_dict(inp)
        desc = text(inp.get("name"))
        if inp.get("rows") is not None:
            desc += f": {text(inp.get('rows'))} rows, {text(inp.get('columns'))} columns"
        if text(inp.get("format")):
            desc += f" ({text(inp.get('format'))})"
        lines.append((f"Input ({role})", desc))
        notes = {k: v for k, v in as_dict(inp.get("read_notes")).items()
                 if k not in skip and text(v) not in ("", "{}", "[]")}
        if notes:
            shown = {k: _DELIMITER_NAMES.get(v, v) if k == "delimiter" else v for k, v in notes.items()}
            lines.append((f"Read as ({role})", "; ".join(f"{k}: {text(v, 500)}" for k, v in shown.items())))
    return lines
