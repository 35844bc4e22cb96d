"""Risk Scorer: PII found from validated values, mapped to GDPR / CCPA / HIPAA (and PCI DSS).

Detection runs on a seeded sample of each column; the number of matching values in the whole
column is then counted exactly with the same vectorised validator. A column's risk score is its
PII type's base sensitivity times the detection confidence; the dataset's risk is the highest
column risk (one card-number column makes a file high-risk however many harmless columns it has).
"""

from __future__ import annotations

from typing import Any

import polars as pl
from pydantic import Field

from agensium.engine.agent import (
    Agent,
    AgentParams,
    AgentResult,
    Alert,
    Issue,
    Recommendation,
    RunContext,
    SummaryCard,
    empty_row_issues,
)
from agensium.engine.profile.pii import COMPLIANCE, PII_SENSITIVITY, PiiFinding, detect_column_pii
from agensium.engine.profile.presentation import bar_chart, rnd, table
from agensium.engine.profile.shared import STATE_KEY, DatasetProfile, sample_rows
from agensium.engine.profile.stats import column_kind, parallel_map


class RiskParams(AgentParams):
    pii_sample_size: int = Field(2000, ge=50, le=100_000,
                                 description="Values sampled per column (seeded) to decide whether it holds PII.")
    high_risk_threshold: int = Field(70, ge=1, le=100, description="Column risk score at or above this is high.")
    medium_risk_threshold: int = Field(40, ge=1, le=100, description="Column risk score at or above this is medium.")
    min_match_share: float = Field(0.7, gt=0, le=1,
                                   description="Share of sampled values that must validate to call a column PII.")
    hinted_min_match_share: float = Field(0.5, gt=0, le=1,
                                          description="Same, when the column name also suggests that PII type.")
    pii_detection_enabled: bool = Field(True, description="Detect PII from values.")
    sensitive_field_detection_enabled: bool = Field(True, description="Use column names as a hint (raises "
                                                    "confidence; needed for names, birth dates and postal codes).")
    governance_check_enabled: bool = Field(True, description="Report PII stored in clear text as a governance gap.")
    phone_regions: list[str] = Field([], max_length=50,
                                     description="Regions (ISO codes, e.g. ['GB']) to read phone numbers written "
                                     "without a country code in, before those the values themselves suggest.")
    seed: int = Field(42, description="Sampling seed.")


def _level(score: float, p: RiskParams) -> str:
    if score >= p.high_risk_threshold:
        return "high"
    if score >= p.medium_risk_threshold:
        return "medium"
    return "low" if score > 0 else "none"


class RiskScorer(Agent):
    id = "score-risk"
    Params = RiskParams

    def run(self, params: RiskParams, ctx: RunContext) -> AgentResult:
        data = ctx.data
        prof: Any = ctx.state.get(STATE_KEY)
        prof = prof if isinstance(prof, DatasetProfile) and prof.path == data.path else None
        schema = data.schema
        # text, and 64-bit integers (the only numbers wide enough to hold a card number)
        cols = [c for c in data.columns if column_kind(schema[c]) == "string" or schema[c] in (pl.Int64, pl.UInt64)]
        sample = prof.sample if prof is not None and prof.sample_size >= params.pii_sample_size \
            else sample_rows(data, max(params.pii_sample_size, 1000), params.seed)
        ctx.progress(0.2, None)
        fields: list[dict[str, Any]] = []

        def detect(c: str) -> PiiFinding | None:
            ctx.check_cancelled()
            vals = sample[c].drop_nulls()
            if schema[c].is_integer():  # only card numbers are plausibly stored as integers
                vals = vals.filter(vals.cast(pl.Float64).abs() >= 1e12)
                if vals.len() < 0.5 * max(1, sample[c].drop_nulls().len()):
                    return None
            if vals.len() > params.pii_sample_size:
                vals = vals.sample(params.pii_sample_size, seed=params.seed)
            return detect_column_pii(c, vals, min_share=params.min_match_share,
                                     hinted_min_share=params.hinted_min_match_share,
                                     use_name_hints=params.sensitive_field_detection_enabled,
                                     phone_regions=tuple(r.upper() for r in params.phone_regions))

        # each column's checks are one Polars query (GIL released): columns are checked on parallel threads
        found = parallel_map(detect, cols) if params.pii_detection_enabled else [None] * len(cols)
        findings = {c: f for c, f in zip(cols, found, strict=True) if f is not None}
        ctx.progress(0.6, None)
        # exact counts over the whole column, with the same vectorised check
        exact: dict[str, Any] = {}
        if findings:
            exprs = [f.check(pl.col(c)).sum().alias(c) for c, f in findings.items()]
            exact = data.lazy().select(exprs).collect().row(0, named=True)
        for c in data.columns:
            f = findings.get(c)
            if f is None:
                fields.append({"field_name": c, "risk_score": 0, "risk_level": "none", "pii_type": None,
                               "risk_factors": [], "compliance": []})
                continue
            score = round(PII_SENSITIVITY[f.pii_type] * f.confidence, 1)
            fields.append({
                "field_name": c, "risk_score": score, "risk_level": _level(score, params), "pii_type": f.pii_type,
                "confidence": round(f.confidence, 4), "name_hint": f.name_hint,
                "sample": {"values": f.sampled, "matching_share": round(f.share, 4), "evidence": f.evidence},
                "matching_values": int(exact.get(c) or 0),
                **({"found_in": "free_text", "pii_in_text": list(f.in_text),
                    "rows_with_pii": int(exact.get(c) or 0)} if f.in_text else {}),
                "risk_factors": [{"factor": f"{', '.join(f.in_text)} inside free text" if f.in_text else
                                  f"{f.pii_type} values", "confidence": round(f.confidence, 4),
                                  "pii_type": f.pii_type}]
                + ([{"factor": "column name suggests " + f.pii_type, "confidence": None}] if f.name_hint else []),
                "compliance": COMPLIANCE[f.pii_type],
                "governance_gaps": ["stored in clear text (not masked, hashed or tokenised)"]
                if params.governance_check_enabled else [],
            })
        return self._result(fields, params, sample.height)

    def _result(self, fields: list[dict[str, Any]], p: RiskParams, sampled_rows: int) -> AgentResult:
        pii = [f for f in fields if f["pii_type"]]
        levels = {lv: [f["field_name"] for f in fields if f["risk_level"] == lv] for lv in ("high", "medium", "low")}
        overall = max((f["risk_score"] for f in fields), default=0.0)
        mean = sum(f["risk_score"] for f in fields) / len(fields) if fields else 0.0
        frameworks = sorted({c["framework"] for f in pii for c in f["compliance"]})
        gaps = sum(len(f.get("governance_gaps", [])) for f in pii)
        hours = 2 * len(levels["high"]) + 1 * len(levels["medium"]) + 0.5 * len(levels["low"])
        res = AgentResult(agent_id=self.id, score=rnd(100 - overall, 1))
        res.summary = {
            "total_fields_analyzed": len(fields), "pii_fields_detected": len(pii),
            "fields_with_high_risk": len(levels["high"]), "fields_with_medium_risk": len(levels["medium"]),
            "fields_with_low_risk": len(levels["low"]), "overall_risk_score": overall,
            "overall_risk_level": _level(overall, p), "governance_gaps": gaps,
            "frameworks_impacted": len(frameworks), "sampled_rows": sampled_rows,
        }
        res.data = {
            "fields": fields,
            "risk_summary": {"overall_risk_score": overall, "overall_risk_level": _level(overall, p),
                             "mean_column_risk": rnd(mean, 2), "compliance_frameworks_impacted": frameworks,
                             "estimated_remediation_time_hours": hours,
                             "method": "overall = highest column risk; column risk = type sensitivity x confidence"},
            "tables": [table("PII by column", ["column", "PII type", "confidence", "matching values", "risk score",
                                               "risk level", "frameworks"],
                             [[f["field_name"], f["pii_type"], f.get("confidence"), f.get("matching_values"),
                               f["risk_score"], f["risk_level"], ", ".join(c["framework"] for c in f["compliance"])]
                              for f in pii])],
            "charts": [bar_chart("Risk score by column", [f["field_name"] for f in pii], [f["risk_score"] for f in pii],
                                 "risk score", "column", "risk (0-100)")] if pii else [],
        }
        for f in pii:
            critical = f["pii_type"] in ("credit_card", "ssn") and f["risk_level"] == "high"
            sev = "critical" if critical else {"high": "high", "medium": "medium", "low": "low"}[f["risk_level"]]
            res.issues.append(Issue(field=f["field_name"], issue_type=f"pii_{f['pii_type']}", severity=sev,
                                    count=f["matching_values"],
                                    message=f"'{f['field_name']}' holds {f['pii_type'].replace('_', ' ')} values "
                                            f"({f['matching_values']:,} validated; confidence {f['confidence']:.2f})",
                                    extras={"frameworks": [c["framework"] for c in f["compliance"]],
                                            "remediation_time_hours": 2 if sev in ("critical", "high") else 1}))
            if f.get("governance_gaps"):
                res.issues.append(Issue(field=f["field_name"], issue_type="governance_gap", severity="medium",
                                        message=f"'{f['field_name']}': PII stored in clear text"))
        if pii:
            worst = "critical" if any(i.severity == "critical" for i in res.issues) else (
                "high" if levels["high"] else "medium")
            res.alerts.append(Alert(severity=worst, category="privacy", affected_fields=[f["field_name"] for f in pii],
                                    message=f"{len(pii)} column(s) hold personal data "
                                            f"({', '.join(sorted({f['pii_type'] for f in pii}))})",
                                    recommendation="Mask, tokenise or drop these columns before sharing."))
            for fw, sev in (("GDPR", "high"), ("CCPA", "high"), ("HIPAA", "medium"), ("PCI DSS", "critical")):
                hit = [f["field_name"] for f in pii if any(c["framework"] == fw for c in f["compliance"])]
                if hit:
                    res.alerts.append(Alert(severity=sev, category="compliance", affected_fields=hit,
                                            message=f"{fw}: {len(hit)} column(s) in scope"))
            res.recommendations.append(Recommendation(
                field=None, priority=worst, recommendation="Restrict access to the PII columns and mask or tokenise "
                "them in copies used for analytics.", rationale=", ".join(f["field_name"] for f in pii[:10])))
            if any(f["pii_type"] == "credit_card" for f in pii):
                res.recommendations.append(Recommendation(field=None, priority="critical",
                                                          recommendation="Card numbers must not be stored in clear "
                                                          "text (PCI DSS 3.4): truncate or tokenise them."))
        else:
            res.alerts.append(Alert(severity="info", category="privacy", message="No PII found in the values",
                                    affected_fields=[]))
        res.cards = [SummaryCard(title="Risk Level", value=f"{_level(overall, p)} ({overall:g})",
                                 status={"high": "critical", "medium": "warning", "low": "good",
                                         "none": "excellent"}[_level(overall, p)],
                                 description=f"{len(pii)} PII column(s)")]
        res.row_issues = empty_row_issues()
        return res
