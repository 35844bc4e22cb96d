"""The catalog: tools, their input files, their agents in pipeline order, costs and parameter models.

This module owns those rules. Agent implementations are imported lazily by dotted path, so the
catalog lists every tool and agent even where an implementation is missing.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError

from agensium.engine.agent import Agent, AgentParams
from agensium.engine.io.layout import ReadOptions
from agensium.errors import AgensiumError, ErrorCode

MB = 1024 * 1024

TABULAR_FORMATS = ("csv", "tsv", "txt", "xlsx", "xls", "json", "ndjson", "jsonl", "parquet")
SCHEMA_FORMATS = ("json", "yaml", "yml")


@dataclass(frozen=True)
class FileSpec:
    role: str
    required: bool
    formats: tuple[str, ...]
    max_bytes: int
    description: str


@dataclass(frozen=True)
class AgentSpec:
    id: str
    name: str
    description: str
    cost: int
    impl: str
    """'module:Class' of the implementation."""
    needs: tuple[str, ...] = ("primary",)
    changes_data: bool = False


@dataclass(frozen=True)
class ToolSpec:
    id: str
    name: str
    description: str
    files: tuple[FileSpec, ...]
    agents: tuple[AgentSpec, ...]

    def file(self, role: str) -> FileSpec | None:
        return next((f for f in self.files if f.role == role), None)

    def agent(self, agent_id: str) -> AgentSpec | None:
        return next((a for a in self.agents if a.id == agent_id), None)

    @property
    def agent_ids(self) -> list[str]:
        return [a.id for a in self.agents]


def _a(tool: str, module: str, cls: str, **kw: Any) -> AgentSpec:
    return AgentSpec(impl=f"agensium.engine.{tool}.{module}:{cls}", **kw)


PRIMARY_500 = FileSpec("primary", True, TABULAR_FORMATS, 500 * MB, "The data to analyse")

TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(
        id="profile-my-data",
        name="Profile My Data",
        description="Profile every column, detect drift against a baseline, score PII risk, rule coverage and readiness.",
        files=(
            PRIMARY_500,
            FileSpec("baseline", False, TABULAR_FORMATS, 500 * MB, "An earlier version of the data, for drift"),
        ),
        agents=(
            _a("profile", "unified_profiler", "UnifiedProfiler", id="unified-profiler", name="Unified Profiler",
               description="Exact statistics, semantic types, patterns, outliers and quality scores per column.", cost=30),
            _a("profile", "drift_detector", "DriftDetector", id="drift-detector", name="Drift Detector",
               description="Schema and distribution drift against the baseline (KS, PSI, chi-square, JS, Wasserstein).",
               cost=40, needs=("primary", "baseline")),
            _a("profile", "score_risk", "RiskScorer", id="score-risk", name="Risk Scorer",
               description="PII found from validated values, mapped to GDPR, CCPA and HIPAA.", cost=35),
            _a("profile", "test_coverage", "TestCoverageAgent", id="test-coverage-agent", name="Test Coverage Agent",
               description="Data-quality rules checked against the data, with coverage of columns.", cost=30),
            _a("profile", "readiness_rater", "ReadinessRater", id="readiness-rater", name="Readiness Rater",
               description="A readiness score with every deduction explained.", cost=25),
        ),
    ),
    ToolSpec(
        id="clean-my-data",
        name="Clean My Data",
        description="Safe, explainable cleaning with a quarantine file and a full audit of every change.",
        files=(PRIMARY_500,),
        agents=(
            _a("clean", "cleanse_previewer", "CleansePreviewer", id="cleanse-previewer", name="Cleanse Previewer",
               description="Simulates the configured rules and reports their impact without changing data.", cost=20),
            _a("clean", "quarantine_agent", "QuarantineAgent", id="quarantine-agent", name="Quarantine Agent",
               description="Moves rows that break required fields, types, ranges or patterns to a quarantine file.",
               cost=35, changes_data=True),
            _a("clean", "type_fixer", "TypeFixer", id="type-fixer", name="Type Fixer",
               description="Converts text to numbers, dates and booleans without losing information.", cost=25,
               changes_data=True),
            _a("clean", "field_standardization", "FieldStandardization", id="field-standardization",
               name="Field Standardization",
               description="Trims, normalises and clusters near-identical values; e-mail, phone and country formats.",
               cost=40, changes_data=True),
            _a("clean", "duplicate_resolver", "DuplicateResolver", id="duplicate-resolver", name="Duplicate Resolver",
               description="Exact and normalised-key duplicates, resolved deterministically.", cost=50,
               changes_data=True),
            _a("clean", "null_handler", "NullHandler", id="null-handler", name="Null Handler",
               description="Recognises null-like tokens and fills or drops nulls per column when asked.", cost=30,
               changes_data=True),
            _a("clean", "outlier_remover", "OutlierRemover", id="outlier-remover", name="Outlier Remover",
               description="Flags, caps, imputes or removes outliers (IQR, MAD, percentiles).", cost=35,
               changes_data=True),
            _a("clean", "cleanse_writeback", "CleanseWriteback", id="cleanse-writeback", name="Cleanse Writeback",
               description="Verifies the final data against every upstream agent's manifest.", cost=30),
        ),
    ),
    ToolSpec(
        id="master-my-data",
        name="Master My Data",
        description="Keys, contracts, semantics, entity resolution, golden records with provenance, stewardship.",
        files=(
            FileSpec("primary", True, TABULAR_FORMATS, 1000 * MB, "The records to master"),
            FileSpec("schema", False, SCHEMA_FORMATS, 10 * MB, "A data contract (JSON or YAML)"),
        ),
        agents=(
            _a("master", "key_identifier", "KeyIdentifier", id="key-identifier", name="Key Identifier",
               description="Primary, composite, entity and foreign-key candidates with evidence.", cost=45),
            _a("master", "contract_enforcer", "ContractEnforcer", id="contract-enforcer", name="Contract Enforcer",
               description="Enforces a data contract: columns, types, allowed values, ranges, patterns, uniqueness.",
               cost=75, changes_data=True),
            _a("master", "semantic_mapper", "SemanticMapper", id="semantic-mapper", name="Semantic Mapper",
               description="Maps columns to standard names with confidence and evidence.", cost=50,
               changes_data=True),
            _a("master", "survivorship_resolver", "SurvivorshipResolver", id="survivorship-resolver",
               name="Survivorship Resolver",
               description="Entity resolution with blocking, and per-field survivorship rules.", cost=100,
               changes_data=True),
            _a("master", "golden_record_builder", "GoldenRecordBuilder", id="golden-record-builder",
               name="Golden Record Builder",
               description="Golden records with trust scores and provenance of every value.", cost=150,
               changes_data=True),
            _a("master", "stewardship_flagger", "StewardshipFlagger", id="stewardship-flagger",
               name="Stewardship Flagger",
               description="Flags and a prioritised task list for data stewards.", cost=40, changes_data=True),
        ),
    ),
)

_TOOLS_BY_ID = {t.id: t for t in TOOLS}


def get_tool(tool_id: str) -> ToolSpec:
    tool = _TOOLS_BY_ID.get(tool_id)
    if tool is None:
        raise AgensiumError(
            ErrorCode.INVALID_TOOL_ID, f"Unknown tool '{tool_id}'", {"tool_id": tool_id, "valid": list(_TOOLS_BY_ID)}
        )
    return tool


def resolve_agents(tool: ToolSpec, requested: list[str] | None) -> list[str]:
    """The agents to run, always in the tool's pipeline order (a client cannot reorder them)."""
    if not requested:
        return tool.agent_ids
    unknown = [a for a in requested if tool.agent(a) is None]
    if unknown:
        raise AgensiumError(
            ErrorCode.INVALID_AGENT,
            f"Unknown agent(s) for {tool.id}: {', '.join(map(str, unknown))}",
            {"invalid_agents": unknown, "valid_agents": tool.agent_ids},
        )
    wanted = set(requested)
    return [a for a in tool.agent_ids if a in wanted]


@cache
def load_agent_class(spec: AgentSpec) -> type[Agent] | None:
    """The implementation class, or None if it is not available in this build."""
    module_name, _, cls_name = spec.impl.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        if exc.name and module_name.startswith(exc.name):
            return None
        raise
    return getattr(module, cls_name, None)


def params_model(spec: AgentSpec) -> type[AgentParams]:
    cls = load_agent_class(spec)
    return cls.Params if cls is not None else AgentParams


def params_schema(spec: AgentSpec) -> dict[str, Any]:
    return params_model(spec).model_json_schema()


INPUT_KEY = "input"
"""The `parameters.json` key for how to read the primary input (`ReadOptions`: sheet, header_row)."""


def validate_parameters(
    tool: ToolSpec, agents: list[str], raw: Any
) -> dict[str, AgentParams]:
    """Validate a `parameters.json` document `{agent_id: {param: value}}` against the agents' models.

    Unknown agents, agents not selected, unknown keys and out-of-bound values are all errors.
    """
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise AgensiumError(ErrorCode.INVALID_PARAMETERS, "parameters must be a JSON object keyed by agent id")
    problems: list[dict[str, Any]] = []
    try:
        ReadOptions.model_validate(raw.get(INPUT_KEY) or {})
    except ValidationError as exc:
        problems += [{"agent": INPUT_KEY, "field": ".".join(str(x) for x in e["loc"]), "error": e["msg"]}
                     for e in exc.errors(include_url=False, include_input=False)]
    for agent_id in raw:
        if agent_id == INPUT_KEY:
            continue
        if tool.agent(agent_id) is None:
            problems.append({"agent": agent_id, "error": f"unknown agent for {tool.id}"})
        elif agent_id not in agents:
            problems.append({"agent": agent_id, "error": "agent is not selected for this task"})
    out: dict[str, AgentParams] = {}
    for agent_id in agents:
        spec = tool.agent(agent_id)
        assert spec is not None
        value = raw.get(agent_id, {})
        if value is None:
            value = {}
        if not isinstance(value, dict):
            problems.append({"agent": agent_id, "error": "parameters of an agent must be a JSON object"})
            continue
        try:
            out[agent_id] = params_model(spec).model_validate(value)
        except ValidationError as exc:
            for err in exc.errors(include_url=False, include_input=False):
                problems.append(
                    {"agent": agent_id, "field": ".".join(str(p) for p in err["loc"]), "error": err["msg"]}
                )
    if problems:
        raise AgensiumError(
            ErrorCode.INVALID_PARAMETERS, "Invalid parameters: " + "; ".join(
                f"{p['agent']}{'.' + p['field'] if p.get('field') else ''}: {p['error']}" for p in problems[:5]
            ), {"problems": problems}
        )
    return out


def catalog_entry(tool: ToolSpec) -> dict[str, Any]:
    """The public description of a tool (used by `GET /tools/{id}` and the CLI)."""
    return {
        "tool_id": tool.id,
        "name": tool.name,
        "description": tool.description,
        "files": [
            {"role": f.role, "required": f.required, "formats": list(f.formats), "max_bytes": f.max_bytes,
             "description": f.description}
            for f in tool.files
        ],
        "agents": [
            {"agent_id": a.id, "name": a.name, "description": a.description, "order": i + 1, "cost": a.cost,
             "needs": list(a.needs), "changes_data": a.changes_data,
             "available": load_agent_class(a) is not None, "parameters_schema": params_schema(a)}
            for i, a in enumerate(tool.agents)
        ],
        "total_cost": sum(a.cost for a in tool.agents),
    }
