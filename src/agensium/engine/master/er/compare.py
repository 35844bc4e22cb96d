"""Field comparators: every pair gets a discrete agreement level per field (0 = best, -1 = missing).

Each field's values are encoded once as integer codes over its distinct values. A pair then costs
two integer look-ups; exact agreement is a code comparison, and similarity scores (rapidfuzz
`cpdist`, in C on all cores) are computed once per *distinct* pair of codes and mapped back with
numpy, so no Python loop ever runs per pair.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl
from rapidfuzz import fuzz
from rapidfuzz.distance import JaroWinkler, Levenshtein
from rapidfuzz.process import cpdist

from agensium.engine.master.er.arrays import unique_inverse
from agensium.engine.master.er.config import FieldSpec

# number of non-missing levels per comparator (levels 0..n-1; the last one is "disagree")
LEVELS: dict[str, int] = {"name": 5, "text": 3, "address": 4, "date": 5, "email": 3, "phone": 3, "code": 3,
                          "exact": 2}
LEVEL_LABELS: dict[str, list[str]] = {
    "name": ["exact", "jaro_winkler>=0.92", "jaro_winkler>=0.80", "swapped_or_initial", "different"],
    "text": ["exact", "jaro_winkler>=0.88", "different"],
    "address": ["exact", "similarity>=90", "similarity>=70", "different"],
    "date": ["exact", "day_month_transposed", "one_digit_typo", "two_digit_typo", "different"],
    "email": ["exact", "jaro_winkler>=0.88", "different"],
    "phone": ["exact", "last_7_digits", "different"],
    "code": ["exact", "one_edit", "different"],
    "exact": ["exact", "different"],
}


@dataclass
class Encoded:
    """A column as integer codes (-1 = null) over its sorted distinct values."""

    codes: np.ndarray
    values: np.ndarray
    """The distinct values as a numpy object array (what rapidfuzz reads)."""
    series: pl.Series
    """The same distinct values as a Polars Series (for vectorised string tests)."""
    initials: np.ndarray
    """Code point of each distinct value's first character (a cheap pre-filter)."""


def encode(s: pl.Series) -> Encoded:
    uniq = s.drop_nulls().unique().sort()
    table = pl.DataFrame({"v": uniq, "c": pl.int_range(0, uniq.len(), dtype=pl.Int64, eager=True)})
    codes = pl.DataFrame({"v": s}).join(table, on="v", how="left", maintain_order="left")["c"]
    initials = uniq.str.slice(0, 1).str.encode("hex").fill_null("").to_numpy()
    return Encoded(codes.fill_null(-1).to_numpy(), np.array(uniq.to_list(), dtype=object), uniq, initials)


def _distinct_pairs(ca: np.ndarray, cb: np.ndarray, width: int, dedupe: bool = True,
                    mask: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions of the non-null, unequal pairs, their distinct (a, b) codes and the inverse map.

    De-duplicating pays off for costly string similarities over repeating values (names, cities);
    for cheap comparisons or near-unique values the sort costs more than it saves.
    """
    ok = (ca >= 0) & (cb >= 0) & (ca != cb)
    if mask is not None:
        ok &= mask
    idx = np.flatnonzero(ok)
    if not dedupe or width * 4 > len(ca):
        return idx, ca[idx], cb[idx], np.arange(len(idx))
    key = ca[idx] * np.int64(width) + cb[idx]
    uk, inv = unique_inverse(key)
    return idx, uk // width, uk % width, inv


def _score(ea: Encoded, eb: Encoded, ua: np.ndarray, ub: np.ndarray, scorer,
           cutoff: float | None = None) -> np.ndarray:
    if len(ua) == 0:
        return np.zeros(0)
    return cpdist(ea.values[ua], eb.values[ub], scorer=scorer, workers=-1, dtype=np.float64, score_cutoff=cutoff)


def _suffix_codes(e: Encoded, n: int) -> np.ndarray:
    """Integer code of the last `n` characters of every distinct value (compare ints, not strings)."""
    return encode(e.series.str.slice(-n)).codes


def _levels_for_distinct(comp: str, e: Encoded, ua: np.ndarray, ub: np.ndarray) -> np.ndarray:
    """Level of each distinct unequal (a, b) pair of values (levels 1..n-1)."""
    last = LEVELS[comp] - 1
    if comp in ("name", "text", "email"):
        jw = _score(e, e, ua, ub, JaroWinkler.normalized_similarity, 0.8 if comp == "name" else 0.88)
        if comp == "name":
            lv = np.where(jw >= 0.92, 1, np.where(jw >= 0.80, 2, last))
            sa, sb = e.series.gather(ua), e.series.gather(ub)
            init = ((sa.str.len_chars() == 1) | (sb.str.len_chars() == 1)) & (
                sa.str.slice(0, 1) == sb.str.slice(0, 1))
            return np.where((lv == last) & init.to_numpy(), 3, lv)
        return np.where(jw >= 0.88, 1, last)
    if comp == "address":
        ts = _score(e, e, ua, ub, fuzz.ratio, 70)
        return np.where(ts >= 90, 1, np.where(ts >= 70, 2, last))
    if comp == "date":
        sa, sb = e.series.gather(ua), e.series.gather(ub)
        swapped = ((sa.str.len_chars() == 8) & (sa.str.slice(0, 4) + sa.str.slice(6, 2) + sa.str.slice(4, 2) == sb))
        lev = _score(e, e, ua, ub, Levenshtein.distance, 3)
        return np.where(swapped.to_numpy(), 1, np.where(lev <= 1, 2, np.where(lev <= 2, 3, last)))
    if comp == "phone":
        suf = _suffix_codes(e, 7)
        return np.where(suf[ua] == suf[ub], 1, last)
    if comp == "code":
        lev = _score(e, e, ua, ub, Levenshtein.distance, 2)
        return np.where(lev <= 1, 1, last)
    return np.full(len(ua), last)


def compare_codes(field: FieldSpec, e: Encoded, ca: np.ndarray, cb: np.ndarray,
                  partner: Encoded | None = None, pa: np.ndarray | None = None,
                  pb: np.ndarray | None = None) -> np.ndarray:
    """Agreement level (int8) of one field for pairs given as code arrays; partner = the other name."""
    comp = field.comparator
    last = LEVELS[comp] - 1
    out = np.full(len(ca), last, dtype=np.int8)
    out[(ca < 0) | (cb < 0)] = -1
    out[(ca == cb) & (ca >= 0)] = 0
    width = max(1, len(e.values))
    idx, ua, ub, inv = _distinct_pairs(ca, cb, width, dedupe=comp in ("name", "text", "address", "email"))
    if len(idx):
        out[idx] = _levels_for_distinct(comp, e, ua, ub)[inv]
    if comp == "name" and partner is not None and pa is not None and pb is not None:
        for x, y in ((ca, pb), (pa, cb)):  # my first name vs your surname, and the reverse
            a_enc, b_enc = (e, partner) if x is ca else (partner, e)
            cand = out == last
            w = max(1, len(b_enc.values))
            ok = cand & (x >= 0) & (y >= 0)
            ok[ok] = a_enc.initials[x[ok]] == b_enc.initials[y[ok]]  # swapped names keep their initials
            sel = np.flatnonzero(ok)
            if not len(sel):
                continue
            uk, inv2 = unique_inverse(x[sel] * np.int64(w) + y[sel])
            jw = _score(a_enc, b_enc, uk // w, uk % w, JaroWinkler.normalized_similarity, 0.92)
            hit = jw[inv2] >= 0.92
            out[sel[hit]] = 3
    return out


def compare_field(field: FieldSpec, a: pl.Series, b: pl.Series,
                  pa: pl.Series | None = None, pb: pl.Series | None = None) -> pl.Series:
    """Convenience form over two value Series (used in tests and small inputs)."""
    e = encode(pl.concat([a, b]).rename("v"))
    codes = e.codes
    ca, cb = codes[: a.len()], codes[a.len():]
    partner = pca = pcb = None
    if pa is not None and pb is not None:
        partner = encode(pl.concat([pa, pb]).rename("v"))
        pca, pcb = partner.codes[: pa.len()], partner.codes[pa.len():]
    return pl.Series(field.column, compare_codes(field, e, ca, cb, partner, pca, pcb), dtype=pl.Int8)


def encode_fields(norm: pl.DataFrame, fields: list[FieldSpec]) -> dict[str, Encoded]:
    return {f.column: encode(norm[f.column]) for f in fields}


def compare_pairs(enc: dict[str, Encoded], pairs: pl.DataFrame, fields: list[FieldSpec]) -> pl.DataFrame:
    """One Int8 level column per field for every candidate pair (l, r are row positions)."""
    li, ri = pairs["l"].to_numpy().astype(np.int64), pairs["r"].to_numpy().astype(np.int64)
    cols = []
    for f in fields:
        e = enc[f.column]
        ca, cb = e.codes[li], e.codes[ri]
        partner = enc.get(f.partner) if f.partner else None
        pa = pb = None
        if partner is not None:
            pa, pb = partner.codes[li], partner.codes[ri]
        cols.append(pl.Series(f.column, compare_codes(f, e, ca, cb, partner, pa, pb), dtype=pl.Int8))
    return pairs.with_columns(cols)
