"""The unified profiler's issues, alerts and recommendations, from its column results and the quality
model (one function per kind of finding, so each rule reads at once)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from agensium.engine.agent import AgentResult, Alert, Issue, Recommendation, Severity
from agensium.engine.profile.quality import TableQuality
from agensium.engine.profile.shared import DatasetProfile
from agensium.engine.values import PII_KINDS

PII_TYPES = {k.value for k in PII_KINDS}


@dataclass(frozen=True)
class Thresholds:
    null_alert: float
    outlier_alert: float
    outlier_method: str


def _missing(c: dict[str, Any], t: Thresholds) -> Iterator[Issue]:
    name, miss, rows = c["name"], c["missing_pct"], c["count"]
    if rows and c["missing_count"] >= rows:
        yield Issue(field=name, issue_type="empty_column", severity="high", message=f"'{name}' has no values at all",
                    count=rows)
    elif miss > t.null_alert:
        yield Issue(field=name, issue_type="high_missing", severity="critical" if miss >= 90 else "high",
                    message=f"'{name}' is {miss:.1f}% missing (null, blank or a placeholder)", count=c["missing_count"],
                    extras={"missing_pct": miss})
    elif miss > 10:
        yield Issue(field=name, issue_type="missing_values", severity="medium", message=f"'{name}' is {miss:.1f}% missing",
                    count=c["missing_count"], extras={"missing_pct": miss})
    vals = c.get("values") or {}
    if vals.get("placeholder_count"):
        tokens = ", ".join(f"{k!r} x{v:,}" for k, v in sorted(vals["placeholders"].items(), key=lambda kv: -kv[1])[:5])
        yield Issue(field=name, issue_type="placeholder_values", severity="medium",
                    message=f"'{name}' writes missing values as text ({tokens}); they count as missing",
                    count=vals["placeholder_count"], extras={"placeholders": vals["placeholders"]})


def _validity(c: dict[str, Any]) -> Iterator[Issue]:
    name, conf = c["name"], c.get("conformance")
    if conf and conf["nonconforming"] > 0:
        v = c["quality"]["validity"] or 0
        examples = (c.get("values") or {}).get("nonconforming_examples", [])
        yield Issue(field=name, issue_type="type_mismatch", severity="medium" if v < 95 else "low",
                    message=f"'{name}' holds {conf['type']} values but {conf['nonconforming']:,} value(s) are not valid "
                            f"(validity {v:.2f}%), e.g. {', '.join(repr(x) for x in examples[:3])}",
                    count=conf["nonconforming"], extras={"semantic_type": conf["type"], "examples": examples})


def _consistency(c: dict[str, Any]) -> Iterator[Issue]:
    name, vals = c["name"], c.get("values") or {}
    bad = vals.get("inconsistent", 0)
    if not bad:
        return
    if vals.get("kind") == "date_text":
        formats = vals.get("formats", {})
        yield Issue(field=name, issue_type="mixed_date_formats", severity="medium",
                    message=f"'{name}' writes dates in {len(formats)} formats ({', '.join(list(formats)[:7])}); "
                            f"{bad:,} value(s) differ from the usual one", count=bad, extras={"formats": formats})
    elif vals.get("currencies"):
        cur = vals["currencies"]
        yield Issue(field=name, issue_type="mixed_currencies", severity="high",
                    message=f"'{name}' mixes currencies ({', '.join(f'{k} x{v:,}' for k, v in cur.items())}): amounts "
                            "in different currencies cannot be added or compared", count=bad, extras={"currencies": cur})
    else:
        groups = vals.get("variant_groups", [])
        ex = "; ".join(" / ".join(g["spellings"]) for g in groups[:3])
        yield Issue(field=name, issue_type="inconsistent_spellings", severity="medium",
                    message=f"'{name}' writes the same value several ways ({ex}); {bad:,} value(s) differ from the "
                            "usual spelling", count=bad, extras={"groups": groups})
    if vals.get("ambiguous_dates") and vals.get("day_first") is None:
        yield Issue(field=name, issue_type="ambiguous_dates", severity="medium",
                    message=f"'{name}': {vals['ambiguous_dates']:,} date(s) read both day-first and month-first, and "
                            "the column does not say which", count=vals["ambiguous_dates"])


def _other(c: dict[str, Any], t: Thresholds) -> Iterator[Issue]:
    name = c["name"]
    if c.get("distinct") == 1 and c["count"] > 1:
        yield Issue(field=name, issue_type="constant_column", severity="low", message=f"'{name}' holds a single value",
                    count=c["count"])
    n = c.get("numeric")
    if n and n.get("finite_count"):
        o = n.get("iqr_outliers" if t.outlier_method == "iqr" else "mad_outliers")
        if o and o["pct"] > t.outlier_alert:
            yield Issue(field=name, issue_type="high_outlier_share", severity="medium",
                        message=f"'{name}': {o['pct']:.2f}% of values are outliers ({t.outlier_method.upper()})",
                        count=o["count"], extras={"lower_bound": o["lower_bound"], "upper_bound": o["upper_bound"]})
    sem_type = c["semantic_type"]
    if sem_type in ("number_text", "currency", "date_text", "boolean_text"):
        what = {"currency": "money"}.get(sem_type, sem_type.replace("_text", ""))
        yield Issue(field=name, issue_type="typed_as_text", severity="low", message=f"'{name}' stores {what} values as text")
    if sem_type in PII_TYPES:
        yield Issue(field=name, issue_type="possible_pii", severity="info",
                    message=f"'{name}' holds {sem_type} values (see the Risk Scorer)")
    text = c.get("text") or {}
    if text.get("untrimmed_count"):
        yield Issue(field=name, issue_type="untrimmed_whitespace", severity="low",
                    message=f"'{name}': {text['untrimmed_count']:,} value(s) with leading/trailing spaces",
                    count=text["untrimmed_count"])
    q = c["quality"]["score"]
    if q is not None and q < 80:
        yield Issue(field=name, issue_type="low_quality_score", severity="high" if q < 60 else "medium",
                    message=f"'{name}' quality score {q:.1f} (share of good cells)", extras={"quality": c["quality"]})


def _table(tq: TableQuality) -> Iterator[Issue]:
    d = tq.duplicates
    if d.exact.len():
        yield Issue(field=None, issue_type="duplicate_rows", severity="high" if d.exact.len() > 0.05 * tq.rows else "medium",
                    message=f"{d.exact.len():,} row(s) repeat an earlier row exactly", count=d.exact.len())
    if d.near.len():
        without = f" (compared without {', '.join(d.compared_without)})" if d.compared_without else ""
        yield Issue(field=None, issue_type="near_duplicate_rows", severity="medium",
                    message=f"{d.near.len():,} row(s) repeat an earlier row once case, spacing, placeholders and "
                            f"formats are set aside{without}", count=d.near.len())


ALERTS: dict[str, tuple[Severity, str, str, str]] = {
    "empty_column": ("high", "completeness", "{n} column(s) are entirely empty", "Drop them or fix the extract."),
    "high_missing": ("high", "completeness", "{n} column(s) exceed the missing-value threshold",
                     "Decide per column: fill from the source, impute, or drop."),
    "placeholder_values": ("medium", "completeness", "{n} column(s) write missing values as text (NULL, N/A, -, …)",
                           "Clean My Data's null-handler turns them into real missing values."),
    "high_outlier_share": ("medium", "outliers", "{n} column(s) have many outliers",
                           "Check units and data-entry errors; consider capping in Clean My Data."),
    "type_mismatch": ("medium", "validity", "{n} column(s) contain values that break their type",
                      "Review the type_mismatch rows in row_issues.csv."),
    "mixed_date_formats": ("medium", "consistency", "{n} column(s) write dates in several formats",
                           "Clean My Data's type-fixer writes them in ISO 8601."),
    "mixed_currencies": ("high", "consistency", "{n} column(s) mix currencies",
                         "Clean My Data splits such columns into an amount and a currency column."),
    "inconsistent_spellings": ("medium", "consistency", "{n} column(s) write the same value several ways",
                               "Standardise them with Clean My Data's field-standardization."),
    "ambiguous_dates": ("medium", "consistency", "{n} column(s) hold dates whose day/month order is unknown",
                        "Set day_first for these columns."),
    "typed_as_text": ("low", "types", "{n} column(s) store numbers, dates or booleans as text",
                      "Convert them with the Type Fixer."),
    "possible_pii": ("info", "privacy", "{n} column(s) look like personal data",
                     "Review the Risk Scorer's findings before sharing this data."),
    "constant_column": ("low", "information", "{n} column(s) hold a single value",
                        "Constant columns carry no information; consider dropping them."),
}


def add_findings(res: AgentResult, prof: DatasetProfile, columns: list[dict[str, Any]], t: Thresholds,
                 tq: TableQuality) -> None:
    for c in columns:
        res.issues += [*_missing(c, t), *_validity(c), *_consistency(c), *_other(c, t)]
    res.issues += list(_table(tq))
    overall = tq.score
    if overall is not None and overall < 80:
        sev: Severity = "critical" if overall < 50 else ("high" if overall < 60 else "medium")
        res.alerts.append(Alert(severity=sev, category="quality", message=f"Overall data quality is {overall:.1f}/100",
                                affected_fields=[i.field for i in res.issues
                                                 if i.issue_type == "low_quality_score" and i.field],
                                recommendation="Fix the lowest-scoring columns first (see the column table)."))
    for i in res.issues:
        if i.field is None and i.issue_type in ("duplicate_rows", "near_duplicate_rows"):
            res.alerts.append(Alert(severity=i.severity, category="uniqueness", message=i.message,
                                    recommendation="Clean My Data's duplicate-resolver removes them (kept in a file)."))
    for kind, (sev, cat, msg, rec) in ALERTS.items():
        cols = [i.field for i in res.issues if i.issue_type == kind and i.field]
        if not cols:
            continue
        worst: Severity = "critical" if kind == "high_missing" and any(
            i.severity == "critical" for i in res.issues if i.issue_type == kind) else sev
        res.alerts.append(Alert(severity=worst, category=cat, message=msg.format(n=len(cols)), affected_fields=cols,
                                recommendation=rec))
        res.recommendations.append(Recommendation(field=cols[0] if len(cols) == 1 else None, priority=worst,
                                                  recommendation=rec,
                                                  rationale=f"{kind.replace('_', ' ')}: {', '.join(cols[:10])}"))
