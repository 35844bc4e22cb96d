"""Drift Detector: schema drift and per-column distribution drift of the current data against a baseline.

A column is compared as numeric (ints with many values, floats, dates, numbers or dates stored as
text) or as categorical (text, booleans, integers with few distinct values). The test that decides
drift is chosen by `statistical_test`; every other measure is still reported for context. Drift
is decided by the test alone (p < significance level, or a divergence above its threshold), so on
two samples of one distribution the false-positive rate is the significance level; severity comes
from the effect size (PSI).
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import polars as pl
import pyarrow.parquet as pq
from pydantic import Field, field_validator

from agensium.engine.agent import (
    ROW_ID,
    ROW_ISSUE_SCHEMA,
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Dataset,
    Issue,
    Recommendation,
    RunContext,
    SummaryCard,
    empty_row_issues,
    require_baseline,
)
from agensium.engine.profile import drift_stats as ds
from agensium.engine.profile.presentation import bar_chart, fmt, rnd, table
from agensium.engine.profile.shared import STATE_KEY, DatasetProfile, sample_rows
from agensium.engine.profile.stats import (
    PARALLEL_SORT_MAX_ROWS,
    column_batches,
    column_kind,
    linear_quantile,
    parallel_map,
    sorted_values,
)
from agensium.engine.values import Kind, ValueType, classify, numbers
from agensium.engine.values.kinds import NUMERIC_KINDS
from agensium.engine.values.text import as_text

Test = Literal["auto", "ks", "chi2", "psi", "wasserstein", "jensen_shannon"]


class DriftParams(AgentParams):
    statistical_test: Test = Field(
        "auto", description="Test that decides drift: ks (numeric), chi2, psi, wasserstein (permutation p-value), "
        "jensen_shannon, or auto (KS for numeric, chi-square for categorical columns).")
    significance_level: float = Field(0.05, gt=0, lt=0.5, description="p-value below which a test reports drift.")
    min_sample_size: int = Field(100, ge=1, le=10_000_000,
                                 description="Columns with fewer non-null values on either side are not tested.")
    psi_bins: int = Field(10, ge=2, le=100, description="PSI / JS bins, cut at baseline quantiles.")
    psi_threshold: float = Field(0.1, gt=0, le=10, description="PSI above this is drift (psi test) and medium severity.")
    psi_high_threshold: float = Field(0.25, gt=0, le=10, description="PSI above this is high severity.")
    js_threshold: float = Field(0.1, gt=0, le=1, description="Jensen-Shannon divergence (bits) above this is drift.")
    categorical_max_distinct: int = Field(
        20, ge=1, le=100_000, description="Integer columns with at most this many distinct values are compared as "
        "categories; integers with more values are numeric.")
    max_categories: int = Field(1000, ge=2, le=1_000_000,
                                description="Text columns with more distinct values are not distribution-tested.")
    wasserstein_permutations: int = Field(200, ge=20, le=10_000,
                                          description="Permutations for the Wasserstein p-value.")
    permutation_sample_size: int = Field(2000, ge=50, le=100_000,
                                         description="Values per side used by the permutation test.")
    null_rate_threshold: float = Field(5.0, ge=0, le=100,
                                       description="Change in missing share (percentage points) reported as an issue.")
    emit_row_issues: bool = Field(True, description="Row issues for values outside the baseline range (drifted "
                                  "numeric columns) and for categories never seen in the baseline.")
    seed: int = Field(42, description="Seed of the permutation test.")

    @field_validator("statistical_test", mode="before")
    @classmethod
    def _aliases(cls, v: Any) -> Any:
        aliases = {"kolmogorov_smirnov": "ks", "chi_square": "chi2", "chi-square": "chi2", "js": "jensen_shannon"}
        return aliases.get(v, v) if isinstance(v, str) else v


BASELINE_BATCH_BYTES = 128 * 1024 * 1024
"""Baseline columns read into memory at once. Drift runs at the run's memory peak (the current data and its
profile are held too), so its batches are half the profiler's."""


def _numeric_expr(c: str, dtype: pl.DataType, text: ValueType | None) -> pl.Expr | None:
    kind = column_kind(dtype)
    if kind == "numeric":
        x = pl.col(c).cast(pl.Float64)
    elif dtype in (pl.Date, pl.Time):  # days since 1970; nanoseconds since midnight
        x = pl.col(c).to_physical().cast(pl.Float64)
    elif isinstance(dtype, pl.Datetime):  # one unit, whatever each file stored (ms, us, ns)
        x = pl.col(c).dt.epoch("us").cast(pl.Float64)
    elif isinstance(dtype, pl.Duration):
        x = pl.col(c).dt.total_microseconds().cast(pl.Float64)
    elif kind == "string" and text is not None and text.kind in NUMERIC_KINDS:
        x = numbers.parse_number(pl.col(c), text.decimal)
    elif kind == "string" and text is not None and text.kind == Kind.DATE and text.dates is not None:
        x = text.dates.parse(pl.col(c), guess=True).cast(pl.Datetime("us")).dt.epoch("us").cast(pl.Float64)
    else:
        return None
    return pl.when(x.is_finite()).then(x).otherwise(None).alias(c)


def _sorted_arrays(df: pl.DataFrame, exprs: dict[str, pl.Expr]) -> dict[str, np.ndarray]:
    """Sorted finite values per column. NumPy's sort releases the GIL and beats Polars' on one column, so
    columns are converted and sorted on parallel threads, each holding only its own column's copies."""
    if not exprs:
        return {}
    cols = list(exprs)
    workers = 4 if df.height <= PARALLEL_SORT_MAX_ROWS else 1
    return dict(zip(cols, parallel_map(lambda c: sorted_values(df.select(exprs[c]).to_series()), cols,
                                       max_workers=workers), strict=True))


def _category_counts(lf: pl.LazyFrame, cols: list[str]) -> dict[str, dict[Any, int]]:
    if not cols:
        return {}
    schema = lf.collect_schema()
    lazies = [lf.select(as_text(pl.col(c), schema[c]).alias("v")).drop_nulls().group_by("v").len() for c in cols]
    return {c: dict(df.iter_rows()) for c, df in zip(cols, pl.collect_all(lazies), strict=True)}


def _distinct_counts(lf: pl.LazyFrame, cols: list[str], limit: int) -> dict[str, int]:
    """Distinct non-null values; a HyperLogLog estimate when it is far above `limit` (only the
    comparison with `limit` matters there), the exact count otherwise."""
    if not cols:
        return {}
    approx = lf.select([pl.col(c).drop_nulls().approx_n_unique().alias(c) for c in cols]).collect().row(0, named=True)
    exact_cols = [c for c in cols if approx[c] <= 2 * limit + 10]
    out = {c: int(v) for c, v in approx.items()}
    if exact_cols:
        row = lf.select([pl.col(c).drop_nulls().n_unique().alias(c) for c in exact_cols]).collect().row(0, named=True)
        out.update({c: int(v) for c, v in row.items()})
    return out


def _null_counts(lf: pl.LazyFrame, cols: list[str], schema: pl.Schema) -> dict[str, int]:
    """Missing values: null, NaN, or blank text."""
    if not cols:
        return {}
    exprs = []
    for c in cols:
        e = pl.col(c).is_null()
        if schema[c].is_float():
            e = e | pl.col(c).is_nan()
        elif column_kind(schema[c]) == "string":
            e = e | ~pl.col(c).cast(pl.String).str.contains(r"\S")
        exprs.append(e.sum().alias(c))
    row = lf.select(exprs).collect().row(0, named=True)
    return {c: int(v) for c, v in row.items()}


def _text_types(dataset: Dataset, cols: list[str], n: int = 2000) -> dict[str, ValueType]:
    """Without the profiler's result: what text columns hold (dates or numbers as text), from a sample."""
    if not cols:
        return {}
    sample = sample_rows(dataset, n, 42).select(cols)
    return {c: classify(sample[c], c) for c in cols}


def _metadata_nulls(dataset: Dataset, cols: list[str]) -> dict[str, int]:
    """Null counts from Parquet row-group statistics (no data read); counted from data if absent."""
    if dataset.frame is not None:
        return {c: int(dataset.frame[c].null_count()) for c in cols}
    path = dataset.path
    meta = pq.ParquetFile(path).metadata
    index = {meta.schema.column(j).path: j for j in range(meta.num_columns)}
    out: dict[str, int] = {}
    for c in cols:
        total, ok = 0, c in index
        for rg in range(meta.num_row_groups) if ok else ():
            st = meta.row_group(rg).column(index[c]).statistics
            if st is None or not st.has_null_count:
                ok = False
                break
            total += st.null_count
        out[c] = total if ok else int(pl.scan_parquet(path).select(pl.col(c).null_count()).collect().item())
    return out


def _side_stats(a: np.ndarray) -> dict[str, Any]:
    if len(a) == 0:
        return {"count": 0}
    return {"count": len(a), "mean": float(a.mean()), "std": float(a.std(ddof=1)) if len(a) > 1 else None,
            "min": float(a[0]), "median": linear_quantile(a, 0.5), "max": float(a[-1])}


def _rel_change(new: float | None, old: float | None) -> float | None:
    if new is None or old is None:
        return None
    if old == 0:
        return None if new == 0 else float("inf")
    return 100.0 * (new - old) / abs(old)


class DriftDetector(Agent):
    id = "drift-detector"
    Params = DriftParams
    preload_modules = ds.PRELOAD_MODULES
    """Heavy modules used lazily; the pipeline imports them in the background while the inputs are read."""

    def run(self, params: DriftParams, ctx: RunContext) -> AgentResult:
        self._unseen: dict[str, list[str]] = {}
        base = require_baseline(ctx, self.id)
        cur = ctx.data
        cur_schema, base_schema = cur.schema, base.schema
        cur_cols, base_cols = cur.columns, base.columns
        added = [c for c in cur_cols if c not in base_schema]
        removed = [c for c in base_cols if c not in cur_schema]
        common = [c for c in cur_cols if c in base_schema]
        prof: Any = ctx.state.get(STATE_KEY)
        prof = prof if isinstance(prof, DatasetProfile) and prof.path == cur.path else None
        text_types = {c: prof.values[c].type for c in common if c in prof.values} if prof else \
            _text_types(cur, [c for c in common if column_kind(cur_schema[c]) == "string"])

        type_changes = []
        plan: dict[str, str] = {}
        numeric_exprs: dict[str, tuple[pl.Expr, pl.Expr]] = {}
        for c in common:
            kc, kb = column_kind(cur_schema[c]), column_kind(base_schema[c])
            if str(cur_schema[c]) != str(base_schema[c]):
                type_changes.append({"column": c, "baseline_type": str(base_schema[c]), "current_type": str(cur_schema[c])})
            ec = _numeric_expr(c, cur_schema[c], text_types.get(c))
            eb = _numeric_expr(c, base_schema[c], text_types.get(c))
            if ec is not None and eb is not None and (kc == kb or {kc, kb} <= {"numeric", "string"}):
                plan[c] = "numeric"
                numeric_exprs[c] = (ec, eb)
            elif kc in ("string", "boolean", "numeric", "temporal") and kb in ("string", "boolean", "numeric", "temporal"):
                plan[c] = "categorical"
            else:
                plan[c] = "skip"
        self._too_many: dict[str, tuple[int, int]] = {}
        fields_by: dict[str, dict[str, Any]] = {}
        # text the profile already knows to be far too varied to be categorical: its baseline values are
        # not read at all; the missing share then compares nulls from the Parquet metadata of both sides
        far = {c for c in common if plan[c] == "categorical" and prof and c in prof.stats
               and (prof.stats[c].distinct or 0) > 10 * params.max_categories}
        if far:
            base_nulls = _metadata_nulls(base, sorted(far))
            for c in far:
                st = prof.stats[c]
                f = {"field_name": c, "comparison": "categorical", "baseline_type": str(base_schema[c]),
                     "current_type": str(cur_schema[c]), "drift_detected": False, "severity": None,
                     "distinct": {"current": st.distinct, "baseline": None},
                     "skipped_reason": f"more than {params.max_categories} distinct values: not a categorical column"}
                cur_pct = 100 * st.null_count / st.rows if st.rows else 0.0
                base_pct = 100 * base_nulls[c] / base.row_count if base.row_count else 0.0
                f["missing"] = {"baseline_pct": rnd(base_pct, 4), "current_pct": rnd(cur_pct, 4),
                                "change_pp": rnd(cur_pct - base_pct, 4), "basis": "nulls (file metadata)"}
                fields_by[c] = f
        rest = [c for c in common if c not in far]
        batches = column_batches(base, rest, BASELINE_BATCH_BYTES) if rest else []
        for i, batch in enumerate(batches):
            ctx.check_cancelled()
            dfb = base.lazy().select(batch).collect()
            self._compare_batch(batch, cur, dfb, plan, numeric_exprs, prof, params, fields_by)
            del dfb
            ctx.progress(0.05 + 0.8 * (i + 1) / len(batches), None)
        fields = [fields_by[c] for c in common]
        ctx.progress(0.85, None)
        res = AgentResult(agent_id=self.id)
        self._report(res, fields, added, removed, type_changes, params, base, cur)
        res.row_issues = self._row_issues(cur, fields, numeric_exprs, params) if params.emit_row_issues else None
        return res

    def _compare_batch(self, batch: list[str], cur: Dataset, dfb: pl.DataFrame, plan: dict[str, str],
                       numeric_exprs: dict[str, tuple[pl.Expr, pl.Expr]], prof: DatasetProfile | None,
                       params: DriftParams, fields_by: dict[str, dict[str, Any]]) -> None:
        """Compare one batch of common columns. The baseline batch is in memory; the current side comes
        from the run's shared profile where it already holds the numbers (sorted values, value counts,
        missing and distinct counts) and is read from disk only for what is missing."""
        cur_schema, base_schema = cur.schema, dfb.schema
        p_stats = prof.stats if prof else {}
        p_sorted = prof.sorted_values if prof else {}
        p_counts = prof.value_counts if prof else {}
        cur_cols: dict[str, pl.Series] = {}

        def cur_frame(cols: list[str]) -> pl.DataFrame:
            missing = [c for c in cols if c not in cur_cols]
            if missing:
                df = cur.lazy().select(missing).collect()
                cur_cols.update({c: df[c] for c in missing})
            return pl.DataFrame([cur_cols[c] for c in cols]) if cols else pl.DataFrame()

        # integers with few distinct values are categories (chi-square suits discrete data better than KS);
        # text with very many distinct values is not categorical: count distinct values before grouping
        int_cols = [c for c in batch if c in numeric_exprs and cur_schema[c].is_integer() and base_schema[c].is_integer()]
        cat_cols = [c for c in batch if plan[c] == "categorical"]
        need = int_cols + cat_cols
        known = {c: p_stats[c].distinct for c in need if c in p_stats and p_stats[c].distinct is not None}
        limit = max(params.max_categories, params.categorical_max_distinct)
        unknown = [c for c in need if c not in known]
        dc = {**known, **_distinct_counts(cur_frame(unknown).lazy(), unknown, limit)}
        db = _distinct_counts(dfb.lazy(), need, limit)
        for c in int_cols:
            if dc[c] <= params.categorical_max_distinct and db[c] <= params.categorical_max_distinct:
                plan[c] = "categorical"
                numeric_exprs.pop(c)
        for c in batch:
            if plan[c] == "categorical" and max(dc[c], db[c]) > params.max_categories:
                self._too_many[c] = (dc[c], db[c])
        cat_cols = [c for c in batch if plan[c] == "categorical" and c not in self._too_many]
        num_cols = [c for c in batch if plan[c] == "numeric"]
        if all(c in p_stats for c in batch):
            nulls_c = {c: p_stats[c].missing for c in batch}
        else:
            nulls_c = _null_counts(cur_frame(batch).lazy(), batch, cur_schema)
        nulls_b = _null_counts(dfb.lazy(), batch, base_schema)
        reuse = {c for c in num_cols if c in p_sorted and column_kind(cur_schema[c]) == "numeric"}
        to_sort = [c for c in num_cols if c not in reuse]
        cur_sorted = {c: p_sorted[c] for c in reuse}
        cur_sorted |= _sorted_arrays(cur_frame(to_sort), {c: numeric_exprs[c][0] for c in to_sort})
        base_sorted = _sorted_arrays(dfb, {c: numeric_exprs[c][1] for c in num_cols})
        cats_c = {c: p_counts[c] for c in cat_cols if c in p_counts}
        to_count = [c for c in cat_cols if c not in cats_c]
        cats_c |= _category_counts(cur_frame(to_count).lazy(), to_count)
        cats_b = _category_counts(dfb.lazy(), cat_cols)
        cur_cols.clear()
        rows_c, rows_b = cur.row_count, dfb.height
        numeric_jobs: list[tuple[dict[str, Any], np.ndarray, np.ndarray]] = []
        for c in batch:
            f: dict[str, Any] = {"field_name": c, "comparison": plan[c],
                                 "baseline_type": str(base_schema[c]), "current_type": str(cur_schema[c])}
            f["missing"] = {"baseline_pct": rnd(100 * nulls_b[c] / rows_b if rows_b else 0, 4),
                            "current_pct": rnd(100 * nulls_c[c] / rows_c if rows_c else 0, 4)}
            f["missing"]["change_pp"] = rnd(f["missing"]["current_pct"] - f["missing"]["baseline_pct"], 4)
            if plan[c] == "numeric":
                numeric_jobs.append((f, base_sorted.pop(c), cur_sorted.pop(c)))
            elif plan[c] == "categorical" and c in self._too_many:
                f.update(drift_detected=False, severity=None, distinct={"current": self._too_many[c][0],
                                                                        "baseline": self._too_many[c][1]},
                         skipped_reason=f"more than {params.max_categories} distinct values: not a categorical column")
            elif plan[c] == "categorical":
                self._categorical(f, cats_b[c], cats_c[c], params)
            else:
                f.update(drift_detected=False, skipped_reason="types cannot be compared")
            fields_by[c] = f
        # the tests on sorted arrays are NumPy work that releases the GIL: columns run on parallel threads
        parallel_map(lambda job: self._numeric(*job, params), numeric_jobs)

    # -- per column tests -------------------------------------------------------------------------
    def _decide(self, f: dict[str, Any], test: str, p: float | None, value: float | None,
                threshold: float | None, params: DriftParams, note: str | None = None) -> None:
        if p is not None:
            detected = p < params.significance_level
        else:
            detected = value is not None and threshold is not None and value > threshold
        f["test_used"] = test
        if note:
            f["test_note"] = note
        f["drift_detected"] = bool(detected)
        psi_v = f.get("psi")
        if not detected:
            f["severity"] = None
        elif psi_v is not None and psi_v > params.psi_high_threshold:
            f["severity"] = "high"
        elif psi_v is not None and psi_v > params.psi_threshold:
            f["severity"] = "medium"
        else:
            f["severity"] = "low"

    def _too_small(self, f: dict[str, Any], nb: int, nc: int, params: DriftParams) -> bool:
        if min(nb, nc) < params.min_sample_size:
            f.update(drift_detected=False, severity=None,
                     skipped_reason=f"fewer than {params.min_sample_size} values (baseline {nb}, current {nc})")
            return True
        return False

    def _numeric(self, f: dict[str, Any], b: np.ndarray, a: np.ndarray, params: DriftParams) -> None:
        f["baseline_statistics"], f["current_statistics"] = _side_stats(b), _side_stats(a)
        if self._too_small(f, len(b), len(a), params):
            return
        bs, cs = f["baseline_statistics"], f["current_statistics"]
        f["change_in_mean_pct"] = rnd(_rel_change(cs["mean"], bs["mean"]), 4)
        f["change_in_std_pct"] = rnd(_rel_change(cs["std"], bs["std"]), 4)
        f["change_in_median_pct"] = rnd(_rel_change(cs["median"], bs["median"]), 4)
        merged = ds.merge_stats(b, a)
        ks_d, ks_p, ks_method = ds.ks_test(b, a, merged)
        f["ks"] = {"statistic": ks_d, "p_value": ks_p, "method": ks_method}
        f["wasserstein_distance"] = merged.wasserstein
        cuts = ds.quantile_cuts(b, params.psi_bins)
        cb, cc = ds.bin_counts(b, cuts), ds.bin_counts(a, cuts)
        f["psi"] = ds.psi(cb, cc)
        f["js_divergence"] = ds.js_divergence(cb, cc)
        f["bins"] = {"cuts": [float(x) for x in cuts], "baseline_counts": [int(x) for x in cb],
                     "current_counts": [int(x) for x in cc]}
        test = params.statistical_test
        if test in ("auto", "ks"):
            self._decide(f, "ks", ks_p, ks_d, None, params)
            f["p_value"], f["statistic"] = ks_p, ks_d
        elif test == "chi2":
            stat, p, dof = ds.chi2_homogeneity(cb, cc)
            f["chi2"] = {"statistic": stat, "p_value": p, "dof": dof, "on": "baseline-quantile bins"}
            f["p_value"], f["statistic"] = p, stat
            self._decide(f, "chi2", p, stat, None, params)
        elif test == "wasserstein":
            p, n = ds.wasserstein_permutation_p(b, a, params.wasserstein_permutations, params.permutation_sample_size,
                                                params.seed)
            f["wasserstein_p_value"] = {"p_value": p, "method": "permutation", "permutations":
                                        params.wasserstein_permutations, "sample_per_side": n}
            f["p_value"], f["statistic"] = p, f["wasserstein_distance"]
            self._decide(f, "wasserstein", p, f["wasserstein_distance"], None, params)
        elif test == "psi":
            f["p_value"], f["statistic"] = None, f["psi"]
            self._decide(f, "psi", None, f["psi"], params.psi_threshold, params)
        else:
            f["p_value"], f["statistic"] = None, f["js_divergence"]
            self._decide(f, "jensen_shannon", None, f["js_divergence"], params.js_threshold, params)

    def _categorical(self, f: dict[str, Any], b: dict[Any, int], a: dict[Any, int], params: DriftParams) -> None:
        nb, na = sum(b.values()), sum(a.values())
        f["baseline_statistics"] = {"count": nb, "categories": len(b)}
        f["current_statistics"] = {"count": na, "categories": len(a)}
        if self._too_small(f, nb, na, params):
            return
        if max(len(a), len(b)) > params.max_categories:
            f.update(drift_detected=False, severity=None,
                     skipped_reason=f"more than {params.max_categories} distinct values: not a categorical column")
            return
        cats = sorted(set(a) | set(b), key=lambda k: -(a.get(k, 0) + b.get(k, 0)))
        cb = np.array([b.get(k, 0) for k in cats])
        cc = np.array([a.get(k, 0) for k in cats])
        new = [k for k in cats if k not in b]
        self._unseen[f["field_name"]] = new
        gone = [k for k in cats if k not in a]
        f["new_categories"] = new[:50]
        f["new_category_count"] = len(new)
        f["missing_categories"] = gone[:50]
        f["psi"] = ds.psi(cb, cc)
        f["js_divergence"] = ds.js_divergence(cb, cc)
        stat, p, dof = ds.chi2_homogeneity(cb, cc)
        f["chi2"] = {"statistic": stat, "p_value": p, "dof": dof}
        f["top_categories"] = [{"value": k, "baseline_pct": rnd(100 * b.get(k, 0) / nb, 4),
                                "current_pct": rnd(100 * a.get(k, 0) / na, 4)} for k in cats[:20]]
        test = params.statistical_test
        if test == "psi":
            f["p_value"], f["statistic"] = None, f["psi"]
            self._decide(f, "psi", None, f["psi"], params.psi_threshold, params)
        elif test == "jensen_shannon":
            f["p_value"], f["statistic"] = None, f["js_divergence"]
            self._decide(f, "jensen_shannon", None, f["js_divergence"], params.js_threshold, params)
        else:
            note = None if test in ("auto", "chi2") else f"{test} applies to numeric columns; chi-square used"
            f["p_value"], f["statistic"] = p, stat
            self._decide(f, "chi2", p, stat, None, params, note)

    # -- report ------------------------------------------------------------------------------------
    def _report(self, res: AgentResult, fields: list[dict[str, Any]], added: list[str], removed: list[str],
                type_changes: list[dict[str, Any]], params: DriftParams, base: Dataset, cur: Dataset) -> None:
        tested = [f for f in fields if "skipped_reason" not in f]
        drifted = [f for f in tested if f["drift_detected"]]
        by_sev = {s: [f["field_name"] for f in drifted if f["severity"] == s] for s in ("high", "medium", "low")}
        psis = [f["psi"] for f in tested if f.get("psi") is not None]
        share = len(drifted) / len(tested) if tested else 0.0
        stability = "unstable" if share > 0.3 or removed else ("warning" if share > 0.1 or by_sev["high"] else "stable")
        res.summary = {
            "fields_compared": len(fields), "fields_tested": len(tested), "drift_detected_count": len(drifted),
            "drift_severity_high": len(by_sev["high"]), "drift_severity_medium": len(by_sev["medium"]),
            "drift_severity_low": len(by_sev["low"]), "columns_added": len(added), "columns_removed": len(removed),
            "type_changes": len(type_changes), "average_psi": rnd(sum(psis) / len(psis), 6) if psis else None,
            "baseline_rows": base.row_count, "current_rows": cur.row_count,
            "statistical_test": params.statistical_test, "significance_level": params.significance_level,
        }
        res.score = rnd(100.0 * (1 - share), 2) if tested else None
        res.data = {
            "fields": fields,
            "schema_drift": {"added_columns": added, "removed_columns": removed, "type_changes": type_changes},
            "drift_summary": {"overall_drift_score": rnd(share, 4), "drift_percentage": rnd(100 * share, 2),
                              "fields_with_drift": [f["field_name"] for f in drifted], "dataset_stability": stability},
            "tables": [table("Drift by column", ["column", "comparison", "test", "statistic", "p-value", "PSI", "JS",
                                                 "drift", "severity", "note"],
                             [[f["field_name"], f["comparison"], f.get("test_used"), f.get("statistic"), f.get("p_value"),
                               f.get("psi"), f.get("js_divergence"), f["drift_detected"], f.get("severity"),
                               f.get("skipped_reason") or f.get("test_note")] for f in fields])],
            "charts": self._charts(fields),
        }
        for c in removed:
            res.issues.append(Issue(field=c, issue_type="missing_column", severity="critical",
                                    message=f"'{c}' is in the baseline but missing from the current data"))
        for c in added:
            res.issues.append(Issue(field=c, issue_type="new_column", severity="medium",
                                    message=f"'{c}' is new (not in the baseline)"))
        for t in type_changes:
            res.issues.append(Issue(field=t["column"], issue_type="type_change", severity="high",
                                    message=f"'{t['column']}' changed type {t['baseline_type']} -> {t['current_type']}",
                                    extras=t))
        for f in drifted:
            p = f.get("p_value")
            detail = f"p = {fmt(p, 3)}" if p is not None else f"{f['test_used']} = {fmt(f.get('statistic'), 3)}"
            res.issues.append(Issue(field=f["field_name"], issue_type="distribution_drift", severity=f["severity"],
                                    message=f"'{f['field_name']}' drifted ({f['test_used']}, {detail}, "
                                            f"PSI {fmt(f.get('psi'), 3)})",
                                    extras={"psi": f.get("psi"), "p_value": p, "test": f["test_used"]}))
            mc = f.get("change_in_mean_pct")
            if mc is not None and abs(mc) > 10:
                res.issues.append(Issue(field=f["field_name"], issue_type="mean_shift",
                                        severity="high" if abs(mc) > 25 else "medium",
                                        message=f"mean of '{f['field_name']}' changed by {mc:+.1f}%"))
            sc = f.get("change_in_std_pct")
            if sc is not None and abs(sc) > 20:
                res.issues.append(Issue(field=f["field_name"], issue_type="variance_shift",
                                        severity="high" if abs(sc) > 50 else "medium",
                                        message=f"spread (std) of '{f['field_name']}' changed by {sc:+.1f}%"))
            if f.get("new_category_count"):
                res.issues.append(Issue(field=f["field_name"], issue_type="new_categories", severity="medium",
                                        count=f["new_category_count"],
                                        message=f"'{f['field_name']}' has {f['new_category_count']} value(s) "
                                                "never seen in the baseline"))
        for f in fields:
            ch = f["missing"]["change_pp"]
            if ch is not None and abs(ch) >= params.null_rate_threshold:
                res.issues.append(Issue(field=f["field_name"], issue_type="missing_rate_change",
                                        severity="high" if abs(ch) >= 20 else "medium",
                                        message=f"missing share of '{f['field_name']}' changed by {ch:+.1f} points"))
        if removed:
            res.alerts.append(Alert(severity="critical", category="schema", affected_fields=removed,
                                    message=f"{len(removed)} baseline column(s) are missing",
                                    recommendation="Check the extract: consumers of these columns will break."))
        if added:
            res.alerts.append(Alert(severity="medium", category="schema", affected_fields=added,
                                    message=f"{len(added)} new column(s)", recommendation="Document the new columns."))
        if type_changes:
            res.alerts.append(Alert(severity="high", category="schema", affected_fields=[t["column"] for t in type_changes],
                                    message=f"{len(type_changes)} column(s) changed type",
                                    recommendation="Check parsing and upstream schema changes."))
        if drifted:
            sev = "critical" if share >= 0.3 and by_sev["high"] else ("high" if by_sev["high"] else "medium")
            res.alerts.append(Alert(severity=sev, category="drift", affected_fields=[f["field_name"] for f in drifted],
                                    message=f"{len(drifted)} of {len(tested)} tested column(s) drifted "
                                            f"({params.statistical_test} test, alpha {params.significance_level})",
                                    recommendation="Investigate the high-severity columns; retrain or recalibrate "
                                                   "models that use them."))
            res.recommendations.append(Recommendation(
                field=None, priority=sev, recommendation="Investigate the drifted columns, starting with the "
                "highest PSI, and confirm whether the change is real or an upstream error.",
                rationale=", ".join(f["field_name"] for f in sorted(drifted, key=lambda x: -(x.get("psi") or 0))[:10])))
        elif tested:
            res.alerts.append(Alert(severity="info", category="drift", message="No distribution drift detected",
                                    affected_fields=[]))
        if removed or added or type_changes:
            res.recommendations.append(Recommendation(field=None, priority="high" if removed or type_changes else "medium",
                                                      recommendation="Agree a data contract for this feed so schema "
                                                      "changes are caught at the source."))
        res.cards = [SummaryCard(title="Distribution Drift", value=f"{len(drifted)}/{len(tested)}",
                                 status="good" if not drifted else ("critical" if by_sev["high"] else "warning"),
                                 description=f"columns drifted ({stability})")]

    def _charts(self, fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
        with_psi = [f for f in fields if f.get("psi") is not None]
        charts = []
        if with_psi:
            charts.append(bar_chart("PSI by column", [f["field_name"] for f in with_psi],
                                    [round(f["psi"], 6) for f in with_psi], "PSI", "column", "PSI"))
        for f in [f for f in with_psi if f["drift_detected"]][:20]:
            if "bins" in f:
                b, c = np.array(f["bins"]["baseline_counts"]), np.array(f["bins"]["current_counts"])
                labels = ["<= " + fmt(f["bins"]["cuts"][0], 4)] + ["> " + fmt(x, 4) for x in f["bins"]["cuts"]]
            else:
                tops = f["top_categories"]
                labels = [str(t["value"]) for t in tops]
                b = np.array([t["baseline_pct"] for t in tops])
                c = np.array([t["current_pct"] for t in tops])
            bp = (100 * b / b.sum()).round(3) if b.sum() else b
            cp = (100 * c / c.sum()).round(3) if c.sum() else c
            charts.append({"title": f"Baseline vs current: {f['field_name']}", "type": "bar", "labels": labels,
                           "series": [{"name": "baseline %", "values": bp.tolist()},
                                      {"name": "current %", "values": cp.tolist()}],
                           "x_title": f["field_name"], "y_title": "% of values"})
        return charts

    def _row_issues(self, cur: Dataset, fields: list[dict[str, Any]], numeric_exprs: dict[str, tuple[pl.Expr, pl.Expr]],
                    params: DriftParams) -> pl.DataFrame:
        lf = cur.lazy()
        schema = lf.collect_schema()
        parts = []
        for f in fields:
            c = f["field_name"]
            if f["comparison"] == "numeric" and c in numeric_exprs and f.get("drift_detected"):
                lo, hi = f["baseline_statistics"]["min"], f["baseline_statistics"]["max"]
                x = numeric_exprs[c][0]
                msg = f"outside the baseline range [{fmt(lo)}, {fmt(hi)}] of a drifted column"
                parts.append(lf.filter((x < lo) | (x > hi)).select(
                    pl.col(ROW_ID).alias("row_index"), pl.lit(c).alias("column"),
                    pl.lit("out_of_baseline_range").alias("issue_type"), pl.lit("low").alias("severity"),
                    pl.lit(msg).alias("message"), as_text(pl.col(c), schema[c]).alias("value")))
            elif f["comparison"] == "categorical" and self._unseen.get(c):  # unseen values, drifted or not
                new = pl.Series("v", self._unseen[c], dtype=pl.String)
                parts.append(lf.filter(as_text(pl.col(c), schema[c]).is_in(new)).select(
                    pl.col(ROW_ID).alias("row_index"), pl.lit(c).alias("column"),
                    pl.lit("new_category").alias("issue_type"), pl.lit("medium").alias("severity"),
                    pl.lit("value never seen in the baseline").alias("message"),
                    as_text(pl.col(c), schema[c]).alias("value")))
        if not parts:
            return empty_row_issues()
        return pl.concat([df.cast(ROW_ISSUE_SCHEMA) for df in pl.collect_all(parts)], how="vertical")
