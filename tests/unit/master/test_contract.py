from __future__ import annotations

import json

import polars as pl
import pytest

from agensium.engine.master.contract_enforcer import ContractEnforcer, ContractEnforcerParams
from agensium.errors import AgensiumError, ErrorCode

DATA = pl.DataFrame({"cust": [1, 2, 3, 3], "status": ["a", "b", "x", None], "age": ["10", "200", "x", "30"],
                     "email": ["a@b.com", "bad", "c@d.org", "e@f.io"], "extra": [1, 2, 3, 4]})
YAML = """
required_columns: [customer_id, status, name]
column_mappings: {cust: customer_id}
column_types: {age: integer}
value_constraints:
  status: {allowed_values: [a, b], default_value: a}
  email: {pattern: '[^@]+@[^@]+\\.[a-z]+', pattern_name: e-mail}
uniqueness_constraints: [customer_id]
"""


def _run(make_ctx, tmp_path, text: str, suffix: str = ".yaml", **params):
    path = tmp_path / f"contract{suffix}"
    path.write_text(text)
    return ContractEnforcer().run(ContractEnforcerParams(**params), make_ctx(DATA, schema_path=path))


def test_violations_per_row_and_safe_defaults(make_ctx, tmp_path):
    res = _run(make_ctx, tmp_path, YAML)
    types = {v["type"]: v for v in res.data["violations"]}
    assert types["missing_required_column"]["column"] == "name"
    assert types["extra_column"]["action_taken"] == "kept"
    assert types["type_mismatch"]["action_taken"].startswith("not cast")
    ri = res.row_issues
    got = {(r["row_index"], r["issue_type"]) for r in ri.iter_rows(named=True)}
    assert got == {(1, "format_violation"), (2, "type_mismatch"), (2, "invalid_value"), (2, "duplicate_value"),
                   (3, "duplicate_value")}
    out = res.data_out.collect()
    assert "customer_id" in out.columns and "extra" in out.columns  # renamed, extra kept
    assert out["age"].dtype == pl.String and out["status"].to_list() == ["a", "b", "x", None]  # nothing lost


def test_opt_in_fixes_and_drop(make_ctx, tmp_path):
    res = _run(make_ctx, tmp_path, YAML, drop_extra_columns=True, allow_lossy_casts=True,
               default_value_strategy="default")
    out = res.data_out.collect()
    assert "extra" not in out.columns
    assert out["age"].to_list() == [10, 200, None, 30]
    assert out["status"].to_list() == ["a", "b", "a", None]


def test_strict_mode_fails(make_ctx, tmp_path):
    with pytest.raises(AgensiumError) as exc:
        _run(make_ctx, tmp_path, YAML, strict_mode=True)
    assert exc.value.code == ErrorCode.CONTRACT_VIOLATION


@pytest.mark.parametrize("text,suffix", [("required_columns: [a\n  b: : :", ".yaml"), ("{not json", ".json"),
                                         ("[1, 2]", ".json"), ("column_types: {a: colour}", ".yaml"),
                                         ("columns: {a: {tpye: int}}", ".yml")])
def test_malformed_schema_file(make_ctx, tmp_path, text, suffix):
    with pytest.raises(AgensiumError) as exc:
        _run(make_ctx, tmp_path, text, suffix)
    assert exc.value.code == ErrorCode.INVALID_SCHEMA_FILE
    assert exc.value.message


def test_per_column_json_shape_and_no_contract(make_ctx, tmp_path):
    doc = {"columns": {"cust": {"type": "integer", "required": True, "unique": True},
                       "age": {"type": "string", "nullable": False}}}
    res = _run(make_ctx, tmp_path, json.dumps(doc), ".json")
    assert {v["type"] for v in res.data["violations"]} >= {"duplicate_value", "extra_column"}
    empty = ContractEnforcer().run(ContractEnforcerParams(), make_ctx(DATA))
    assert empty.data_out is None and empty.status == "skipped" and empty.summary["contract_given"] is False
    assert "no data contract" in empty.summary["skipped_reason"]
