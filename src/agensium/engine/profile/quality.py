"""The quality model, stated in every report: what each score measures and how it is computed.

A cell is good when it is present (not null, NaN, blank or a placeholder such as N/A), valid (it is a
value of its column's kind: a real e-mail address in an e-mail column, a real date in a date column),
and written the column's usual way (one date format, one currency, one spelling of the same value). A
column's score is its share of good cells; the table's score is the mean of its columns' scores times
the share of rows that are not duplicates (exact, or near: equal once normalised). So clean data scores
100 and dirty data loses exactly the share of what is wrong. Outliers are reported (plausibility) but
not scored: an extreme value is not an error by itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import polars as pl

from agensium.engine.profile.duplicates import Duplicates
from agensium.engine.profile.shared import DatasetProfile

FORMULA = ("score = uniqueness x mean over columns of (good cells / rows); a good cell is present, valid and "
           "written the column's usual way; uniqueness = 1 - duplicate rows (exact + near) / rows")
DIMENSIONS: dict[str, dict[str, str]] = {
    "completeness": {"share": "present cells / cells (null, NaN, blank and placeholders such as N/A are missing)",
                     "weight": "multiplies each column's score (a good cell must be present)"},
    "validity": {"share": "valid values / present values (values of the column's kind: e-mails, dates, numbers, …)",
                 "weight": "multiplies each column's score (a good cell must be valid)"},
    "consistency": {"share": "values written the column's usual way / valid values (one date format, one currency, "
                             "one spelling of a value)",
                    "weight": "multiplies each column's score (a good cell is written the usual way)"},
    "uniqueness": {"share": "rows that are not duplicates (exact or near) / rows",
                   "weight": "multiplies the table's score"},
    "plausibility": {"share": "values inside the outlier bounds / numeric values",
                     "weight": "none: reported, not scored (an extreme value is not an error by itself)"},
}


def _pct(part: float, whole: float) -> float | None:
    return 100.0 * part / whole if whole > 0 else None


@dataclass(frozen=True)
class ColumnQuality:
    column: str
    rows: int
    present: int
    valid: int
    good: int
    completeness: float | None
    validity: float | None
    consistency: float | None
    plausibility: float | None
    score: float | None

    def as_dict(self) -> dict[str, Any]:
        r = {k: None if v is None else round(v, 2) for k, v in (
            ("completeness", self.completeness), ("validity", self.validity), ("consistency", self.consistency),
            ("plausibility", self.plausibility), ("score", self.score))}
        return {**r, "good_cells": self.good}


def column_quality(prof: DatasetProfile, column: str, outlier_pct: float | None) -> ColumnQuality:
    st = prof.stats[column]
    cv = prof.values.get(column)
    present = max(0, st.present)
    valid = present if cv is None or cv.conforming is None else min(present, cv.conforming)
    good = max(0, valid - (cv.inconsistent if cv is not None else 0))
    return ColumnQuality(
        column=column, rows=st.rows, present=present, valid=valid, good=good,
        completeness=_pct(present, st.rows), validity=_pct(valid, present), consistency=_pct(good, valid),
        plausibility=None if outlier_pct is None else 100.0 - outlier_pct, score=_pct(good, st.rows),
    )


@dataclass(frozen=True)
class TableQuality:
    rows: int
    columns: list[ColumnQuality]
    duplicates: Duplicates
    defective_rows: int
    """Rows with at least one defective cell, or that duplicate an earlier row."""
    dimensions: dict[str, float | None] = field(default_factory=dict)

    @property
    def uniqueness(self) -> float | None:
        return _pct(self.rows - self.duplicates.rows, self.rows)

    @property
    def cell_score(self) -> float | None:
        scored = [c.score for c in self.columns if c.score is not None]
        return sum(scored) / len(scored) if scored else None

    @property
    def score(self) -> float | None:
        cells, unique = self.cell_score, self.uniqueness
        return None if cells is None else cells * (unique if unique is not None else 100.0) / 100.0

    @property
    def defective_row_pct(self) -> float | None:
        return _pct(self.defective_rows, self.rows)

    def method(self) -> dict[str, Any]:
        return {"formula": FORMULA, "dimensions": DIMENSIONS,
                "measured": {k: None if v is None else round(v, 4) for k, v in self.dimensions.items()}}


def _mean(values: list[float | None]) -> float | None:
    got = [v for v in values if v is not None]
    return sum(got) / len(got) if got else None


def table_quality(prof: DatasetProfile, columns: list[ColumnQuality], dups: Duplicates) -> TableQuality:
    defective = 0
    if prof.row_defects is not None and len(prof.row_defects) == prof.row_ids.len():
        bad = prof.row_defects > 0
        if dups.rows:
            dup_ids = pl.concat([dups.exact, dups.near])
            bad = bad | prof.row_ids.is_in(dup_ids.implode()).to_numpy()
        defective = int(np.count_nonzero(bad))
    tq = TableQuality(rows=prof.rows, columns=columns, duplicates=dups, defective_rows=defective)
    dims = {
        "completeness": _mean([c.completeness for c in columns]), "validity": _mean([c.validity for c in columns]),
        "consistency": _mean([c.consistency for c in columns]), "uniqueness": tq.uniqueness,
        "plausibility": _mean([c.plausibility for c in columns]), "defective_row_pct": tq.defective_row_pct,
    }
    return TableQuality(prof.rows, columns, dups, defective, dims)
