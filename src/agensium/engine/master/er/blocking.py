"""Candidate pairs from several blocking passes (never all pairs).

Each pass is a key; rows sharing a key form a block and every block yields its pairs through a
Polars self-join (blocks above `max_block_size` are skipped and counted). Passes: exact strong
identifiers (e-mail, phone, national ids), swap-proof phonetic name keys (Soundex of first and
last name, in sorted order), Metaphone of one name + initial of the other, date + initial, postcode
+ name prefix, and sorted-neighbourhood windows over composite keys.
"""

from __future__ import annotations

from collections.abc import Callable

import jellyfish
import numpy as np
import polars as pl

from agensium.engine.master.er.arrays import sorted_unique
from agensium.engine.master.er.config import ERConfig, FieldSpec

IDX = "__idx__"


def phonetic(s: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    """Apply a phonetic code to the distinct values only (names repeat a lot), then map back."""
    uniq = s.drop_nulls().unique()
    codes = [fn(v) if v else None for v in uniq.to_list()]
    mapping = pl.DataFrame({"v": uniq, "c": pl.Series(codes, dtype=pl.String)})
    return pl.DataFrame({"v": s}).join(mapping, on="v", how="left", maintain_order="left")["c"]


def first_token_code(s: pl.Series, fn: Callable[[str], str]) -> pl.Series:
    """Phonetic code of every name token, sorted and joined: 'mary ann smith' ~ 'smith mary ann'."""
    def code(v: str) -> str:
        return " ".join(sorted(fn(t) for t in v.split()))
    return phonetic(s, code)


def _hashed(key: pl.Series) -> pl.Series:
    """64-bit hash of a text key (nulls stay null): cheaper to count and join; a collision only adds pairs."""
    return pl.select(pl.when(key.is_not_null()).then(key.hash(seed=7))).to_series().rename("k")


def _pairs_from_key(key: pl.Series, cap: int) -> tuple[pl.DataFrame, int]:
    key = _hashed(key) if key.dtype == pl.String else key
    df = pl.DataFrame({IDX: pl.int_range(0, key.len(), dtype=pl.UInt32, eager=True), "k": key}).drop_nulls("k")
    df = df.with_columns(n=pl.len().over("k"))
    skipped = df.filter(pl.col("n") > cap).select(pl.col("k").n_unique()).item()
    df = df.filter((pl.col("n") >= 2) & (pl.col("n") <= cap)).drop("n")
    pairs = (
        df.lazy().join(df.lazy(), on="k", suffix="_r")
        .filter(pl.col(IDX) < pl.col(f"{IDX}_r"))
        .select(pl.col(IDX).alias("l"), pl.col(f"{IDX}_r").alias("r"))
        .collect()
    )
    return pairs, int(skipped)


def _pairs_sorted_neighbourhood(key: pl.Series, window: int) -> pl.DataFrame:
    df = (pl.DataFrame({IDX: pl.int_range(0, key.len(), dtype=pl.UInt32, eager=True), "k": key})
          .drop_nulls("k").sort("k", IDX))
    frames = []
    for k in range(1, window):
        nxt = df[IDX].shift(-k)
        frames.append(pl.DataFrame({"a": df[IDX], "b": nxt}).drop_nulls())
    if not frames:
        return pl.DataFrame(schema={"l": pl.UInt32, "r": pl.UInt32})
    both = pl.concat(frames)
    return both.select(pl.min_horizontal("a", "b").alias("l"), pl.max_horizontal("a", "b").alias("r"))


def _initial(s: pl.Series) -> pl.Series:
    return s.str.slice(0, 1)


def build_keys(norm: pl.DataFrame, fields: list[FieldSpec], kinds: dict[str, str | None],
               config: ERConfig) -> tuple[dict[str, pl.Series], dict[str, pl.Series]]:
    """(exact-key passes, sorted-neighbourhood keys) chosen from the available field types."""
    by_kind: dict[str, list[str]] = {}
    for f in fields:
        by_kind.setdefault(kinds.get(f.column) or f.comparator, []).append(f.column)
    comp = {f.column: f.comparator for f in fields}
    first = (by_kind.get("first_name") or [None])[0]
    last = (by_kind.get("last_name") or [None])[0]
    full = (by_kind.get("full_name") or [None])[0]
    date = next((f.column for f in fields if f.comparator == "date"), None)
    post = (by_kind.get("postcode") or [None])[0]
    city = (by_kind.get("city") or [None])[0]
    exact: dict[str, pl.Series] = {}
    for f in fields:
        if f.comparator in ("email", "phone") or (f.comparator == "code" and kinds.get(f.column) != "postcode"):
            exact[f"exact:{f.column}"] = norm[f.column]
    if f_email := next((f.column for f in fields if f.comparator == "email"), None):
        exact[f"email_local:{f_email}"] = norm[f_email].str.split("@").list.first().str.replace_all(r"\d", "")
    snk: dict[str, pl.Series] = {}
    if first and last:
        sf, sl = phonetic(norm[first], jellyfish.soundex), phonetic(norm[last], jellyfish.soundex)
        pair = pl.DataFrame({"a": sf, "b": sl})
        exact["soundex_names_unordered"] = pair.select(
            pl.concat_str(pl.min_horizontal("a", "b"), pl.max_horizontal("a", "b"), separator="|"))
        exact["soundex_names_unordered"] = exact["soundex_names_unordered"].to_series()
        exact["metaphone_last+first_initial"] = phonetic(norm[last], jellyfish.metaphone) + _initial(norm[first])
        exact["metaphone_first+last_initial"] = phonetic(norm[first], jellyfish.metaphone) + _initial(norm[last])
        snk["sn:last+first"] = norm[last] + " " + norm[first]
    if full:
        exact["name_tokens_soundex"] = first_token_code(norm[full], jellyfish.soundex)
        snk["sn:full_name"] = norm[full]
    names = [c for c in (last, first, full) if c]
    if date:
        for c in names:
            exact[f"date+initial:{c}"] = norm[date] + _initial(norm[c])
        if not names:
            exact[f"date:{date}"] = norm[date]
        if city:
            exact["date+city"] = norm[date] + norm[city].str.slice(0, 2)
        if not names:
            snk[f"sn:date:{date}"] = norm[date]
    if post:
        for c in names or ([city] if city else []):
            exact[f"postcode+prefix:{c}"] = norm[post] + norm[c].str.slice(0, 2)
    if city and names:
        exact["city+soundex"] = norm[city] + phonetic(norm[names[0]], jellyfish.soundex)
    for cols in config.blocking_keys:
        present = [c for c in cols if c in norm.columns]
        if present:
            exact["user:" + "+".join(present)] = norm.select(pl.concat_str(present, separator="|")).to_series()
    if not exact and not snk:
        texts = [f.column for f in fields if comp[f.column] in ("text", "name", "address", "exact", "date")]
        for c in texts[:3]:
            exact[f"prefix:{c}"] = norm[c].str.slice(0, 4)
        if texts:
            snk["sn:all"] = norm.select(pl.concat_str(texts, separator=" ", ignore_nulls=True)).to_series()
    return exact, snk


def refiners(norm: pl.DataFrame, fields: list[FieldSpec], kinds: dict[str, str | None]) -> list[tuple[str, pl.Series]]:
    """Extra key parts that split a pass's oversized blocks (birth year, place, initials)."""
    out = []
    date = next((f.column for f in fields if f.comparator == "date"), None)
    if date:
        out.append(("year", norm[date].str.slice(0, 4)))
    for kind in ("postcode", "city"):
        c = next((f.column for f in fields if kinds.get(f.column) == kind), None)
        if c:
            out.append((kind, norm[c].str.slice(0, 3)))
    for kind in ("first_name", "last_name"):
        c = next((f.column for f in fields if kinds.get(f.column) == kind), None)
        if c:
            out.append((f"{kind}_initial", norm[c].str.slice(0, 1)))
    return [(n, s.fill_null("~")) for n, s in out]


def _pair_count(key: pl.Series, cap: int) -> int:
    c = _hashed(key).drop_nulls().value_counts(name="n")["n"].cast(pl.Int64)
    c = c.filter(c <= cap)
    return int((c * (c - 1) // 2).sum())


def refine(key: pl.Series, parts: list[tuple[str, pl.Series]], budget: int, cap: int) -> tuple[pl.Series, list[str]]:
    """Append refiners to `key` until the pass yields at most `budget` pairs (so passes scale with rows)."""
    used: list[str] = []
    for name, part in parts:
        if _pair_count(key, cap) <= budget:
            break
        key = key + "|" + part
        used.append(name)
    return key, used


def candidate_pairs(norm: pl.DataFrame, fields: list[FieldSpec], kinds: dict[str, str | None],
                    config: ERConfig) -> tuple[pl.DataFrame, list[dict]]:
    """Unique (l, r) row positions, l < r, from every blocking pass; plus per-pass statistics."""
    exact, snk = build_keys(norm, fields, kinds, config)
    parts = refiners(norm, fields, kinds)
    budget = max(config.min_pass_budget, int(config.pairs_per_row_budget * norm.height))
    frames, stats = [], []
    for name, key in exact.items():
        key, used = refine(key, parts, budget, config.max_block_size)
        pairs, skipped = _pairs_from_key(key.rename("k"), config.max_block_size)
        frames.append(pairs)
        stats.append({"pass": name + ("" if not used else " (+" + ", ".join(used) + ")"), "pairs": pairs.height,
                      "skipped_blocks": skipped})
    for name, key in snk.items():
        pairs = _pairs_sorted_neighbourhood(key.rename("k"), config.window)
        frames.append(pairs)
        stats.append({"pass": name, "pairs": pairs.height, "skipped_blocks": 0})
    if not frames:
        return pl.DataFrame(schema={"l": pl.UInt32, "r": pl.UInt32}), stats
    keys = sorted_unique(np.concatenate([
        (f["l"].to_numpy().astype(np.uint64) << np.uint64(32)) | f["r"].to_numpy().astype(np.uint64) for f in frames]))
    return pl.DataFrame({"l": (keys >> np.uint64(32)).astype(np.uint32),
                         "r": (keys & np.uint64(0xFFFFFFFF)).astype(np.uint32)}), stats
