"""quarantine-agent: narrow defaults, configured rules, and the shared quarantine file."""

from __future__ import annotations

import polars as pl
import pytest

from agensium.engine.agent import ROW_ID
from agensium.engine.clean import ledger
from agensium.engine.clean.outlier_remover import OutlierRemover, OutlierRemoverParams
from agensium.engine.clean.quarantine_agent import QuarantineAgent
from agensium.engine.clean.quarantine_agent import QuarantineParams as Q
from agensium.errors import AgensiumError, ErrorCode

ROWS = {
    "id": ["1", "2", None, "4", "5", "6"],
    "name": ["Ann", "Robert'); DROP TABLE students;--", None, "  ", "bad\x00byte", "Eve"],
    "note": ["select * from menu", "<script> tags are text", "   ", None, "x", "y"],
    "score": [10.0, 200.0, None, None, 5.0, -1.0],
}


def test_defaults_quarantine_only_empty_and_corrupt_rows(h) -> None:
    ctx = h.ctx(ROWS)
    r = QuarantineAgent().run(Q(), ctx)
    out = h.out(r, ctx)
    assert out[ROW_ID].to_list() == [0, 1, 3, 5]  # SQL-looking and <script> text is legitimate data
    q = pl.read_csv(r.outputs[0].path, infer_schema=False)
    assert q["row_number"].to_list() == ["2", "4"]
    assert q["quarantine_reason"].to_list() == [
        "empty_row: every cell is empty",
        "corrupt_record: contains decoding-error or control characters",
    ]
    assert q["name"][1] == "bad\x00byte"  # original values kept in the file
    assert r.score == pytest.approx(100 * 4 / 6, abs=0.01)
    assert r.summary["quarantined_rows"] == 2


def test_configured_rules_each_reported(h) -> None:
    ctx = h.ctx(ROWS)
    r = QuarantineAgent().run(
        Q(
            detect_broken_records=False,
            required_fields=["id"],
            expected_types={"id": "integer"},
            range_constraints={"score": {"min": 0, "max": 100}},
            format_constraints={"name": r"[A-Z][a-z]+"},
            allowed_values={"note": ["x", "y"]},
        ),
        ctx,
    )
    by_rule = r.data["quarantined_by_rule"]
    assert by_rule["missing_required_field[id]"] == 1
    assert by_rule["out_of_range[score]"] == 2  # 200 and -1
    assert by_rule["invalid_format[name]"] == 3  # the SQL text, "  " and bad\x00byte
    assert by_rule["not_allowed_value[note]"] == 3
    out = h.out(r, ctx)
    assert out.height == 0  # every row breaks at least one rule (row 5: score -1)
    assert r.score == 0.0
    ri = r.row_issues
    assert set(ri["issue_type"]) >= {"missing_required_field", "out_of_range", "invalid_format"}


def test_unknown_column_and_guard_are_specific_errors(h) -> None:
    ctx = h.ctx(ROWS)
    with pytest.raises(AgensiumError) as e:
        QuarantineAgent().run(Q(required_fields=["nope"]), ctx)
    assert e.value.code is ErrorCode.INVALID_PARAMETERS
    with pytest.raises(AgensiumError):
        QuarantineAgent().run(Q(required_fields=["score"], max_quarantine_share=10), ctx)


def test_later_agents_append_to_one_quarantine_file(h) -> None:
    ctx = h.ctx({"x": [1.0, 2.0, 3.0, 2.0, 1000.0, None], "s": ["a", "b", "c", "d", "e", None]})
    first = QuarantineAgent().run(Q(), ctx)
    ctx.results["quarantine-agent"] = first
    assert [o.kind for o in first.outputs] == ["quarantine"]
    second = OutlierRemover().run(OutlierRemoverParams(action="remove"), ctx)
    assert first.outputs == []  # the file moved to the latest agent, holding every row once
    q = pl.read_csv(second.outputs[0].path)
    assert q["row_number"].to_list() == [4, 5]
    assert q["quarantined_by"].to_list() == ["outlier-remover", "quarantine-agent"]
    assert ledger.quarantined(ctx).height == 2


def test_earlier_parameter_names_still_accepted() -> None:
    from agensium.engine.clean.duplicate_resolver import DuplicateResolverParams
    from agensium.engine.clean.field_standardization import FieldStandardizationParams
    from agensium.engine.clean.type_fixer import TypeFixerParams

    assert Q.model_validate({"expected_schema": {"a": "integer"}}).expected_types == {"a": "integer"}
    o = OutlierRemoverParams.model_validate(
        {"detection_method": "z_score", "removal_strategy": "impute_median"}
    )
    assert (o.method, o.action) == ("zscore", "impute_median")
    assert (
        DuplicateResolverParams.model_validate({"merge_strategy": "remove_duplicates"}).strategy
        == "keep_first"
    )
    f = FieldStandardizationParams.model_validate(
        {"case_strategy": "titlecase", "normalize_internal_spacing": False}
    )
    assert (f.case_strategy, f.collapse_internal_whitespace) == ("title", False)
    assert TypeFixerParams.model_validate({"auto_convert_numeric": False}).convert_numeric is False


def test_agents_stop_when_the_user_cancels(h) -> None:
    from agensium.engine.agent import TaskCancelled
    from agensium.engine.clean.duplicate_resolver import DuplicateResolver, DuplicateResolverParams

    ctx = h.ctx({"a": [1, 1, 2]})
    ctx.is_cancelled = lambda: True
    with pytest.raises(TaskCancelled):
        DuplicateResolver().run(DuplicateResolverParams(), ctx)
