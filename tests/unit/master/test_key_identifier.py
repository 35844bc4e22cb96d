from __future__ import annotations

import duckdb
import polars as pl

from agensium.engine.master.key_identifier import KeyIdentifier, KeyIdentifierParams


def test_single_primary_key_and_entity_key(make_ctx):
    df = pl.DataFrame({"customer_id": list(range(100)),
                       "email": [f"u{i % 60}@x.com" for i in range(100)],
                       "city": ["a", "b"] * 50})
    res = KeyIdentifier().run(KeyIdentifierParams(), make_ctx(df))
    assert [k["column"] for k in res.data["candidate_primary_keys"]] == ["customer_id"]
    assert [k["column"] for k in res.data["candidate_entity_keys"]] == ["email"]
    assert res.data["composite_key_candidates"] == []  # not searched when a single key exists
    assert res.score == 100.0


def test_composite_key_found_and_verified_against_duckdb(make_ctx):
    orders = [i // 4 for i in range(400)]
    lines = [i % 4 for i in range(400)]
    df = pl.DataFrame({"order_no": orders, "line_no": lines, "qty": [i % 7 for i in range(400)],
                       "note": ["x"] * 400})
    res = KeyIdentifier().run(KeyIdentifierParams(), make_ctx(df))
    found = [tuple(k["columns"]) for k in res.data["composite_key_candidates"]]
    assert ("order_no", "line_no") in found
    # no found key is a superset of another (minimality), and the constant column is never used
    assert all("note" not in k for k in found)
    distinct = duckdb.sql("select count(*) from (select distinct order_no, line_no from df)").fetchall()[0][0]
    assert distinct == df.height
    assert res.summary["composite_combinations_tried"] < 10  # pruned, not every combination
    assert not res.data["candidate_primary_keys"]


def test_near_key_issues_point_at_rows(make_ctx):
    df = pl.DataFrame({"id": [1, 2, 3, 3, *range(4, 100), None], "v": list(range(101))})
    res = KeyIdentifier().run(KeyIdentifierParams(), make_ctx(df))
    types = {i.issue_type for i in res.issues}
    assert {"pk_has_nulls", "pk_not_fully_unique"} <= types
    ri = res.row_issues
    assert set(ri.filter(pl.col("issue_type") == "duplicate_key_value")["row_index"]) == {2, 3}
    assert ri.filter(pl.col("issue_type") == "null_key_value")["row_index"].to_list() == [100]
