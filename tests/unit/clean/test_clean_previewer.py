"""cleanse-previewer: simulates with the real agents, changes nothing, and says so when it has no rules."""

from __future__ import annotations

import pytest

from agensium.engine.clean.cleanse_previewer import CleansePreviewer
from agensium.engine.clean.cleanse_previewer import CleansePreviewerParams as P
from agensium.errors import AgensiumError, ErrorCode

DATA = {"x": [1.0, 2.0, 3.0, 2.0, 2.5, 100.0, None, 2.0], "s": [" a", "b", "b", "N/A", "c", "d", "e", "f"]}


def test_explicit_rules_are_simulated_independently(h) -> None:
    ctx = h.ctx(DATA)
    before = ctx.data.lazy().collect()
    r = CleansePreviewer().run(
        P(
            preview_rules=[
                {"agent": "outlier-remover", "parameters": {"action": "remove"}},
                {"agent": "null-handler", "parameters": {"global_strategy": "drop_rows"}},
                {"agent": "field-standardization", "parameters": {}},
            ]
        ),
        ctx,
    )
    sims = r.data["simulated_results"]
    # 100.0; the null x and the "N/A" of s (a placeholder is a missing value); nothing
    assert [s["changes"]["row_change"] for s in sims] == [-1, -2, 0]
    assert sims[2]["changed_cells"] == 1  # " a" -> "a"
    assert sims[0]["changes"]["column_changes"]["x"]["nulls"] == 0
    assert r.data["mode"] == "independent what-if rules"
    assert ctx.data.lazy().collect().equals(before)  # the data itself is untouched
    assert r.data_out is None and r.outputs == []


def test_pipeline_rules_come_from_the_selected_agents(h) -> None:
    from agensium.engine.registry import get_tool, validate_parameters

    agents = ["cleanse-previewer", "null-handler", "outlier-remover"]
    params = validate_parameters(
        get_tool("clean-my-data"), agents, {"null-handler": {"convert_null_tokens": "all"}}
    )
    ctx = h.ctx(DATA, agents=agents, parameters=params)
    r = CleansePreviewer().run(params["cleanse-previewer"], ctx)
    sims = {s["agent_id"]: s for s in r.data["simulated_results"]}
    assert list(sims) == ["null-handler", "outlier-remover"]
    assert sims["null-handler"]["changes"]["column_changes"]["s"]["nulls"] == 1  # "N/A" -> null
    assert r.summary["safe_to_execute"] is True and r.score == 100.0


def test_no_rules_scores_none_and_bad_rule_is_rejected(h) -> None:
    ctx = h.ctx(DATA, agents=["cleanse-previewer", "cleanse-writeback"], parameters={})
    r = CleansePreviewer().run(P(), ctx)
    assert r.score is None and r.summary["status"] == "no rules configured"
    with pytest.raises(AgensiumError) as e:
        CleansePreviewer().run(
            P(preview_rules=[{"agent": "outlier-remover", "parameters": {"action": "x"}}]), ctx
        )
    assert e.value.code is ErrorCode.INVALID_PARAMETERS


def test_sample_is_stated(h) -> None:
    ctx = h.ctx({"v": list(range(50))})
    r = CleansePreviewer().run(P(sample_rows=10, preview_rules=[{"agent": "outlier-remover"}]), ctx)
    assert r.summary["sampled"] is True and r.data["sample"] == "first 10 of 50 rows"
