"""Where a table starts: exports put titles, notes and blank rows above the header ("Quarterly sales",
"Exported 2024-03-01 by ACME", a blank line). The header is the first row that spans the table's usual
width; the rows above it are preamble, skipped and named in the read notes. A user who knows better
says `header_row` (1-based, as a spreadsheet numbers its rows)."""

from __future__ import annotations

import math
from collections import Counter

from pydantic import BaseModel, ConfigDict, Field

SCAN_ROWS = 30
"""Rows looked at for a preamble (a title block is a few rows, never dozens)."""


class ReadOptions(BaseModel):
    """How to read the primary input, when the defaults guess wrong (`parameters.json` key "input")."""

    model_config = ConfigDict(extra="forbid")

    sheet: str | int | None = Field(None, description="Excel: the sheet to read, by name or 0-based index "
                                    "(default: the first sheet).")
    header_row: int | None = Field(None, ge=1, le=10_000, description="The row holding the column names, "
                                   "1-based as a spreadsheet numbers rows (default: found from the file: title, "
                                   "note and blank rows above the header are skipped).")


def _filled(row: list[str]) -> int:
    return sum(1 for c in row if c is not None and str(c).strip())


def find_header_row(records: list[list[str]], scan: int = SCAN_ROWS) -> int:
    """0-based index of the header among `records` (every row of the file's start, blank ones included):
    the first row whose filled cells reach the table's usual width, taken from the rows below the scan
    window when there are enough of them (the data), else from all rows."""
    filled = [_filled(r) for r in records]
    below = [f for f in filled[scan:] if f] or [f for f in filled if f]
    if not below:
        return 0
    counts = Counter(below)
    width = max(counts, key=lambda w: (counts[w], w))
    need = max(2, math.ceil(0.6 * width)) if width >= 2 else 1
    for i, f in enumerate(filled[:scan]):
        if f >= need:
            return i
    return 0


def preamble_text(records: list[list[str]], header: int) -> list[str]:
    """The skipped rows as text (for the report), blank rows left out."""
    return [" ".join(str(c).strip() for c in r if c is not None and str(c).strip())
            for r in records[:header] if _filled(r)]
