"""The catalog: tool order, costs and parameter validation rules."""

import pytest

from agensium.engine.registry import TOOLS, get_tool, resolve_agents, validate_parameters
from agensium.errors import AgensiumError, ErrorCode

DESIGN_COSTS = {
    "unified-profiler": 30, "drift-detector": 40, "score-risk": 35, "test-coverage-agent": 30,
    "readiness-rater": 25, "cleanse-previewer": 20, "quarantine-agent": 35, "type-fixer": 25,
    "field-standardization": 40, "duplicate-resolver": 50, "null-handler": 30, "outlier-remover": 35,
    "cleanse-writeback": 30, "key-identifier": 45, "contract-enforcer": 75, "semantic-mapper": 50,
    "survivorship-resolver": 100, "golden-record-builder": 150, "stewardship-flagger": 40,
}


def test_every_agent_has_the_designed_cost() -> None:
    costs = {a.id: a.cost for t in TOOLS for a in t.agents}
    assert costs == DESIGN_COSTS


def test_pipeline_order_cannot_be_changed_by_the_client() -> None:
    tool = get_tool("profile-my-data")
    assert resolve_agents(tool, ["readiness-rater", "unified-profiler"]) == ["unified-profiler", "readiness-rater"]


def test_unknown_tool_and_foreign_agent_are_rejected() -> None:
    with pytest.raises(AgensiumError) as e:
        get_tool("nope")
    assert e.value.code is ErrorCode.INVALID_TOOL_ID
    with pytest.raises(AgensiumError) as e:
        resolve_agents(get_tool("profile-my-data"), ["type-fixer"])
    assert e.value.code is ErrorCode.INVALID_AGENT


def test_parameters_for_unselected_or_unknown_agents_are_rejected() -> None:
    tool = get_tool("clean-my-data")
    with pytest.raises(AgensiumError) as e:
        validate_parameters(tool, ["type-fixer"], {"null-handler": {}})
    assert e.value.code is ErrorCode.INVALID_PARAMETERS
    with pytest.raises(AgensiumError):
        validate_parameters(tool, ["type-fixer"], {"bogus": {}})
    with pytest.raises(AgensiumError):
        validate_parameters(tool, ["type-fixer"], ["not", "an", "object"])
