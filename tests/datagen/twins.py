"""A clean customer table and its dirty twin, with every injected defect recorded per cell.

Each cell of the dirty twin gets at most one defect, drawn with probability `rate`: a placeholder
(NULL, N/A, -, blank, …), an invalid value of the column's kind (an e-mail written "x at y.com", a
date that does not exist), another format (dates in one of several formats, amounts with currency
signs and thousands separators, a second currency), or another spelling (case, dots, spaces, a state's
full name). Duplicate rows are appended, exact and near (copies with case or spacing changed). The
`Truth` says, per column, how many of each were injected, so a test can compare measured counts with it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np
import polars as pl

FIRST = ["James", "Mary", "Robert", "Patricia", "John", "Jennifer", "Michael", "Linda", "David", "Elizabeth",
         "William", "Barbara", "Richard", "Susan", "Joseph", "Jessica", "Thomas", "Sarah", "Carlos", "Aisha",
         "Wei", "Priya", "Olga", "Kenji", "Fatima", "Lucas", "Emma", "Noah", "Sofia", "Liam"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis", "Rodriguez", "Martinez",
        "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson", "Thomas", "Taylor", "Moore", "Jackson", "Martin",
        "Lee", "Perez", "Thompson", "White", "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson",
        "O'Brien", "Nguyen", "Kowalski", "Schmidt", "Rossi"]
PLACES = [("New York", "NY", "New York"), ("Los Angeles", "CA", "California"), ("Chicago", "IL", "Illinois"),
          ("Houston", "TX", "Texas"), ("Phoenix", "AZ", "Arizona"), ("Philadelphia", "PA", "Pennsylvania"),
          ("San Antonio", "TX", "Texas"), ("San Diego", "CA", "California"), ("Dallas", "TX", "Texas"),
          ("Seattle", "WA", "Washington"), ("Denver", "CO", "Colorado"), ("Boston", "MA", "Massachusetts"),
          ("Miami", "FL", "Florida"), ("Atlanta", "GA", "Georgia"), ("Portland", "OR", "Oregon")]
DOMAINS = ["example.com", "mail.example.org", "corp.example.net", "example.co.uk"]
STATUS = ["active", "inactive", "pending"]
PLACEHOLDERS = ["NULL", "N/A", "-", "null", "none", "NA", "n/a", "nan", "None", "#N/A"]
"""Tokens injected as text (blank cells are injected as well, written as empty fields)."""
DATE_FORMATS = ["%d/%m/%Y", "%m/%d/%Y", "%B %d, %Y", "%d %b %Y", "%d.%m.%Y", "%Y%m%d", "%b %d %Y"]
"""The six other ways the dirty twin writes a date (the clean twin writes ISO 8601)."""
US_AREA = [201, 212, 213, 305, 312, 404, 415, 503, 512, 617, 702, 713, 718, 773, 818, 917]


@dataclass
class ColumnTruth:
    placeholders: Counter[str] = field(default_factory=Counter)
    """Token (lower-cased) → cells; blanks are counted in `blanks`."""
    blanks: int = 0
    invalid: int = 0
    """Present values that are not valid of the column's kind."""
    reformatted: int = 0
    """Valid values written another way than the column's usual way (date format, second currency)."""
    variants: int = 0
    """Other spellings of a value (case, dots, spacing, full state names)."""

    @property
    def missing(self) -> int:
        return self.blanks + sum(self.placeholders.values())

    @property
    def defects(self) -> int:
        return self.missing + self.invalid + self.reformatted + self.variants


@dataclass
class Truth:
    rows: int
    columns: dict[str, ColumnTruth]
    exact_duplicates: int
    near_duplicates: int
    kinds: dict[str, str]
    """Column → the value kind a profile should find in the dirty twin."""


Label = tuple[str, str] | None
"""A cell's injected defect: (kind, detail) — ("placeholder", token), ("blank", ""), ("invalid", ""),
("reformat", "counted"/"style"), ("variant", "") — or None for a clean cell."""


@dataclass
class Twins:
    clean: pl.DataFrame
    dirty: pl.DataFrame
    truth: Truth
    labels: dict[str, list[Label]]
    """Per column, each dirty row's injected defect (the duplicates appended last)."""
    source_row: list[int]
    """Per dirty row, the clean row it was made from."""


def _fmt_date(d: date, fmt: str) -> str:
    return d.strftime(fmt)


def _clean(rng: np.random.Generator, n: int) -> pl.DataFrame:
    first = rng.choice(FIRST, n)
    last = rng.choice(LAST, n)
    place = rng.integers(0, len(PLACES), n)
    start = date(2015, 1, 1)
    signup = [start + timedelta(days=int(x)) for x in rng.integers(0, 3650, n)]
    birth = [date(1950, 1, 1) + timedelta(days=int(x)) for x in rng.integers(0, 18000, n)]
    tags = rng.integers(1, 999, n)
    emails = [f"{f.lower()}.{s.lower().replace(chr(39), '')}{t}@{DOMAINS[t % len(DOMAINS)]}"
              for f, s, t in zip(first, last, tags, strict=True)]
    phones = [f"+1 {a} 555 {x:04d}" for a, x in zip(rng.choice(US_AREA, n), rng.integers(100, 9999, n), strict=True)]
    return pl.DataFrame({
        "customer_id": np.arange(1, n + 1),
        "first_name": first, "last_name": last, "email": emails, "phone": phones,
        "signup_date": [d.isoformat() for d in signup], "birth_date": [d.isoformat() for d in birth],
        "amount": [f"{x:.2f}" for x in np.round(rng.lognormal(5, 1, n), 2)],
        "quantity": rng.integers(1, 50, n),
        "city": [PLACES[i][0] for i in place], "state": [PLACES[i][1] for i in place],
        "status": rng.choice(STATUS, n),
    })


KINDS = {"email": "email", "phone": "phone", "signup_date": "date_text", "birth_date": "date_text",
         "amount": "number_text", "quantity": "number_text"}


def _invalid(rng: np.random.Generator, col: str, value: str) -> str:
    """A present value that is not valid of the column's kind (but not a placeholder)."""
    if col == "email":
        user = value.split("@")[0]
        return [f"{user} at example.com", f"{user}@", f"{user}@@example.com", f"{user}.example.com"][int(rng.integers(4))]
    if col in ("signup_date", "birth_date"):
        return ["2023-02-30", "2021-13-01", "31/31/2020", "someday", "2019-00-10"][int(rng.integers(5))]
    if col == "phone":
        return ["12345", "call me", "555-CALL-NOW", "+1 123"][int(rng.integers(4))]
    if col in ("amount", "quantity"):
        return ["12.3.4", "abc", "ten", "1,2,3,4.5.6"][int(rng.integers(4))]
    raise KeyError(col)


def _reformat(rng: np.random.Generator, col: str, value: str) -> tuple[str, bool]:
    """(value written another way, whether the column counts it as written differently)."""
    if col in ("signup_date", "birth_date"):
        d = date.fromisoformat(value)
        return _fmt_date(d, DATE_FORMATS[int(rng.integers(len(DATE_FORMATS)))]), True
    if col == "amount":
        x = float(value)
        r = int(rng.integers(3))
        if r == 0:
            return f"${x:,.2f}", False  # the column's usual currency, another style
        if r == 1:
            return f"USD {x:.2f}", False
        return f"€{x:.2f}", True  # a second currency
    raise KeyError(col)


def _variant(rng: np.random.Generator, col: str, value: str) -> str:
    """Another spelling of the same value (never equal to the value)."""
    if col == "state":
        full = next(p[2] for p in PLACES if p[1] == value)
        options = [value.lower(), ".".join(value) + ".", full, value.title() if value != value.title() else value.lower()]
    else:
        options = [value.lower(), value.upper(), f" {value}", value.replace(" ", "  ") if " " in value else value + " "]
    options = [o for o in options if o != value]
    return options[int(rng.integers(len(options)))]


DEFECTS: dict[str, tuple[str, ...]] = {
    "first_name": ("placeholder", "variant"), "last_name": ("placeholder", "variant"),
    "email": ("placeholder", "invalid"), "phone": ("placeholder", "invalid"),
    "signup_date": ("placeholder", "invalid", "reformat"), "birth_date": ("placeholder", "invalid", "reformat"),
    "amount": ("placeholder", "invalid", "reformat"), "quantity": ("placeholder", "invalid"),
    "city": ("placeholder", "variant"), "state": ("placeholder", "variant"), "status": ("placeholder", "variant"),
}


def _inject(rng: np.random.Generator, c: str, v: str, kinds: tuple[str, ...]) -> tuple[str, Label]:
    kind = kinds[int(rng.integers(len(kinds)))]
    if kind == "placeholder":
        token = [*PLACEHOLDERS, ""][int(rng.integers(len(PLACEHOLDERS) + 1))]
        return (token, ("placeholder", token.lower())) if token else ("", ("blank", ""))
    if kind == "invalid":
        return _invalid(rng, c, v), ("invalid", "")
    if kind == "reformat":
        new, counted = _reformat(rng, c, v)
        return new, ("reformat", "counted" if counted else "style")
    return _variant(rng, c, v), ("variant", "")


def make_twins(n: int = 2000, rate: float = 0.1, seed: int = 0, duplicate_rate: float = 0.05) -> Twins:
    """A clean table of `n` customers and a dirty twin (defect probability `rate` per cell)."""
    rng = np.random.default_rng(seed)
    clean = _clean(rng, n)
    cols = {c: clean[c].cast(pl.String).to_list() for c in clean.columns}
    labels: dict[str, list[Label]] = {c: [None] * n for c in cols}
    for c, kinds in DEFECTS.items():
        for i in np.flatnonzero(rng.random(n) < rate):
            cols[c][i], labels[c][i] = _inject(rng, c, cols[c][i], kinds)
    exact, near = _duplicate_picks(rng, n, duplicate_rate)
    for c in cols:
        src_v, src_l = cols[c], labels[c]
        cols[c] = src_v + [src_v[i] for i in exact] + [_nearly(c, src_v[i]) for i in near]
        labels[c] = src_l + [src_l[i] for i in exact] + [_near_label(c, src_v[i], src_l[i]) for i in near]
    dirty = pl.DataFrame(cols, schema={c: pl.String for c in cols}).with_columns(pl.col("customer_id").cast(pl.Int64))
    truth = {c: _tally(labels[c]) for c in DEFECTS}
    kinds = {**KINDS, "amount": "currency" if rate >= 0.3 else "number_text"}
    return Twins(clean, dirty, Truth(dirty.height, truth, len(exact), len(near), kinds), labels,
                 list(range(n)) + exact + near)


NEAR_CHANGES = {"first_name": str.upper, "city": str.lower, "last_name": lambda v: " " + v}
"""How a near copy differs from its source: case and spacing of its name and city."""


def _nearly(c: str, v: str) -> str:
    change = NEAR_CHANGES.get(c)
    return change(v) if change is not None and v else v


def _near_label(c: str, v: str, label: Label) -> Label:
    if c not in NEAR_CHANGES or not v or (label is not None and label[0] in ("placeholder", "blank")):
        return label
    return ("variant", "")


def _duplicate_picks(rng: np.random.Generator, n: int, share: float) -> tuple[list[int], list[int]]:
    k = round(share * n)
    picks = rng.choice(n, size=2 * k, replace=False).tolist() if k else []
    return picks[:k], picks[k:]


def _tally(labels: list[Label]) -> ColumnTruth:
    t = ColumnTruth()
    for label in labels:
        if label is None:
            continue
        kind, detail = label
        if kind == "placeholder":
            t.placeholders[detail] += 1
        elif kind == "blank":
            t.blanks += 1
        elif kind == "invalid":
            t.invalid += 1
        elif kind == "reformat":
            t.reformatted += detail == "counted"
        else:
            t.variants += 1
    return t
