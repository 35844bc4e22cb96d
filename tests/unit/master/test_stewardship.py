from __future__ import annotations

import polars as pl

from agensium.engine.master.stewardship_flagger import StewardshipFlagger, StewardshipFlaggerParams

DF = pl.DataFrame({"customer_id": [1, 2, 3, 3], "email": ["a@b.com", "bad@", None, "c@d.org"],
                   "age": [30, 150, 40, 20], "status": ["active", "active", "closed", "active"],
                   "balance": [10.0, -5.0, 0.0, 3.0]})


def test_checks_flags_and_tasks(make_ctx):
    params = StewardshipFlaggerParams(
        required_columns=["email", "phone"], duplicate_key_columns=["customer_id"],
        business_rules=[{"name": "non-negative balance", "condition": {"column": "balance", "operator": "ge",
                                                                       "value": 0}, "severity": "high"}])
    res = StewardshipFlagger().run(params, make_ctx(DF))
    ri = res.row_issues
    found = {(r["row_index"], r["issue_type"]) for r in ri.iter_rows(named=True)}
    assert found == {(2, "missing_required"), (1, "invalid_format"), (1, "outlier_value"),
                     (2, "duplicate_suspected"), (3, "duplicate_suspected"), (1, "business_rule_violation")}
    out = res.data_out.collect().sort("__row_id__")
    assert out["__needs_review__"].to_list() == [False, True, True, True]
    assert out["__stewardship_priority__"].to_list() == [None, "high", "high", "high"]
    assert "BUSINESS_RULE_VIOLATION:balance" in out["__stewardship_issues__"][1]
    tasks = res.data["task_list"]
    assert tasks[0]["issue_type"] == "MISSING_REQUIRED_COLUMN" and tasks[0]["priority"] == "critical"
    ranks = {"critical": 4, "high": 3, "medium": 2, "low": 1}
    assert [ranks[t["priority"]] for t in tasks] == sorted((ranks[t["priority"]] for t in tasks), reverse=True)
    assert res.summary["records_flagged"] == 3


def test_clean_data_scores_high(make_ctx):
    df = pl.DataFrame({"email": ["a@b.com", "c@d.org"], "age": [30, 40],
                       "score": [-1.2, 0.3]})  # a z-score, not a 0..1 confidence: never flagged as one
    res = StewardshipFlagger().run(StewardshipFlaggerParams(), make_ctx(df))
    assert res.score == 100.0 and res.summary["records_flagged"] == 0


def test_confidence_columns_are_checked(make_ctx):
    df = pl.DataFrame({"match_confidence": [0.95, 0.2, 0.6]})
    res = StewardshipFlagger().run(StewardshipFlaggerParams(), make_ctx(df))
    low = res.row_issues.filter(pl.col("issue_type") == "low_confidence")
    assert dict(zip(low["row_index"].to_list(), low["severity"].to_list(), strict=True)) == {1: "high", 2: "medium"}
