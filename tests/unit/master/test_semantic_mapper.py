from __future__ import annotations

import polars as pl

from agensium.engine.master.golden_record_builder import GoldenRecordBuilder, GoldenRecordBuilderParams
from agensium.engine.master.semantic_mapper import SemanticMapper, SemanticMapperParams
from agensium.engine.master.semantic_types import name_kind


def test_name_rules_avoid_old_false_positives():
    assert name_kind("message")[0] is None
    assert name_kind("paid")[0] is None
    assert name_kind("file_name")[0] is None
    assert name_kind("FirstName")[0] == "first_name"
    assert name_kind("e-mail")[0] == "email"


def test_values_decide_when_the_name_is_vague(make_ctx):
    df = pl.DataFrame({"contact": ["a@x.com", "b@y.org", "c@z.net"], "col2": ["1990-01-02", "1985-03-04", None],
                       "surname": ["Smith", "Jones", "Brown"]})
    ctx = make_ctx(df)
    res = SemanticMapper().run(SemanticMapperParams(), ctx)
    m = {x["original_name"]: x for x in res.data["column_mappings"]}
    assert m["contact"]["standard_name"] == "email"
    assert m["col2"]["standard_name"] == "date"
    assert ctx.state["semantic_mapping"]["surname"] == "last_name"
    assert res.data_out.collect().columns == ["__row_id__", "email", "date", "last_name"]


def test_later_agents_accept_original_names_after_rename(make_ctx, advance):
    df = pl.DataFrame({"given": ["Ann", "Ann", "Bob"], "surname": ["Lee", "Lee", "Ray"],
                       "mail": ["ann@x.com", "ann@x.com", "bob@y.com"]})
    ctx = make_ctx(df, agents=["semantic-mapper", "golden-record-builder"])
    advance(ctx, SemanticMapper().run(SemanticMapperParams(), ctx))
    assert "last_name" in ctx.data.columns and "surname" not in ctx.data.columns
    res = GoldenRecordBuilder().run(GoldenRecordBuilderParams(match_key_columns=["surname", "mail"],
                                                              survivorship_rules={"surname": "longest"}), ctx)
    assert res.data["statistics"]["match_key_columns"] == ["last_name", "email"]
    assert res.data["survivorship_rules_applied"]["last_name"] == "longest"


def test_no_rename_keeps_names_but_records_mapping(make_ctx):
    ctx = make_ctx(pl.DataFrame({"surname": ["a"]}))
    res = SemanticMapper().run(SemanticMapperParams(apply_mappings=False), ctx)
    assert res.data_out is None and ctx.state["semantic_mapping"] == {"surname": "last_name"}
