"""The one agent interface, its run context and its typed result.

An agent reads the current dataset (a typed table: a small one in memory, a large one as Parquet,
scanned lazily either way), its validated parameters and the run context, and returns an
`AgentResult`. Agents that change data return the new data as
a LazyFrame in `AgentResult.data_out`; the pipeline materialises it (streaming) for the next agent.
Every dataset carries the hidden column `ROW_ID` (0-based row position in the original input) so
row-level issues, quarantine rows and provenance always point at the user's original rows.
"""

from __future__ import annotations

import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Literal

import polars as pl
from pydantic import BaseModel, ConfigDict

from agensium.errors import AgensiumError, ErrorCode

SCRATCH_COMPRESSION = "lz4"
"""Parquet codec of the datasets handed between agents: written once, read a few times, then deleted;
lz4 writes about twice as fast as zstd for a few percent more disk."""

ROW_ID = "__row_id__"
"""Hidden column: the 0-based position of the row in the original primary input."""

Severity = Literal["critical", "high", "medium", "low", "info"]
SEVERITIES: tuple[Severity, ...] = ("critical", "high", "medium", "low", "info")

ROW_ISSUE_SCHEMA: dict[str, pl.DataType] = {
    "row_index": pl.Int64(),
    "column": pl.String(),
    "issue_type": pl.String(),
    "severity": pl.String(),
    "message": pl.String(),
    "value": pl.String(),
}
"""Columns of every row-issues frame (the pipeline adds `agent_id`)."""


class AgentParams(BaseModel):
    """Base of every agent's parameter model: unknown keys are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class Alert(BaseModel):
    severity: Severity
    category: str
    message: str
    affected_fields: list[str] = []
    recommendation: str | None = None


class Issue(BaseModel):
    field: str | None
    issue_type: str
    severity: Severity
    message: str
    count: int | None = None
    extras: dict[str, Any] = {}


class Recommendation(BaseModel):
    field: str | None
    priority: Severity
    recommendation: str
    rationale: str | None = None


class SummaryCard(BaseModel):
    title: str
    value: str
    status: Literal["excellent", "good", "fair", "poor", "info", "warning", "critical"] = "info"
    description: str | None = None


class OutputFile(BaseModel):
    """A file an agent wrote into its output directory; the pipeline publishes it."""

    name: str
    path: Path
    kind: Literal["report", "data", "quarantine", "row_issues", "membership", "pairs", "golden", "other"] = "other"
    mime_type: str = "application/octet-stream"
    rows: int | None = None


class AgentError(BaseModel):
    code: str
    message: str


@dataclass
class AgentResult:
    """What an agent returns. `data` is the agent's own JSON-serialisable result."""

    agent_id: str
    status: Literal["success", "failed", "skipped", "cancelled"] = "success"
    summary: dict[str, Any] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    alerts: list[Alert] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)
    recommendations: list[Recommendation] = field(default_factory=list)
    cards: list[SummaryCard] = field(default_factory=list)
    row_issues: pl.DataFrame | pl.LazyFrame | None = None
    outputs: list[OutputFile] = field(default_factory=list)
    data_out: pl.LazyFrame | pl.DataFrame | None = None
    error: AgentError | None = None
    duration_ms: int = 0
    parameters: dict[str, Any] = field(default_factory=dict)


class TaskCancelled(Exception):
    """Raised by `RunContext.check_cancelled` when the user cancelled the run."""


IN_MEMORY_MAX_BYTES = 512 * 1024 * 1024
"""A dataset whose in-memory size stays under this is held as a DataFrame (no Parquet round trip: about half
a second saved per million rows of the benchmark table); larger ones are streamed to Parquet and scanned in
column batches."""


@dataclass
class Dataset:
    """A typed table with the hidden `ROW_ID` column: a Parquet file, or a small DataFrame held in memory.

    `path` names the dataset (agents compare it to know whether a cached result describes this data);
    code that needs the Parquet file itself calls `file()`, which writes an in-memory frame out once.
    """

    path: Path
    name: str
    """The user's display name of the source file."""
    source_format: str = "parquet"
    read_notes: dict[str, Any] = field(default_factory=dict)
    """How the reader understood the file: encoding, delimiter, sheet, … (shown in the report)."""
    frame: pl.DataFrame | None = field(default=None, repr=False, compare=False)
    """The whole table in memory, when it is small (see IN_MEMORY_MAX_BYTES)."""
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False, compare=False)

    def lazy(self) -> pl.LazyFrame:
        if self.frame is not None:
            return self.frame.lazy()
        return pl.scan_parquet(self.path, glob=False)  # a [ or * in a user's folder name is not a glob

    def file(self) -> Path:
        """The Parquet file of this dataset (an in-memory frame is written out on first use)."""
        if self.frame is not None:
            with self._lock:
                if not self.path.is_file():
                    tmp = self.path.with_name(f"{self.path.name}.part")
                    self.frame.write_parquet(tmp, compression=SCRATCH_COMPRESSION)
                    tmp.replace(self.path)
        return self.path

    @property
    def schema(self) -> pl.Schema:
        if self.frame is not None:
            return self.frame.schema
        return self.lazy().collect_schema()

    @property
    def columns(self) -> list[str]:
        """The user's columns (without `ROW_ID`)."""
        return [c for c in self.schema.names() if c != ROW_ID]

    @property
    def row_count(self) -> int:
        if self.frame is not None:
            return self.frame.height
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path).metadata.num_rows


ProgressFn = Callable[[float, str | None], None]


def _no_progress(fraction: float, message: str | None = None) -> None:
    return None


def _never_cancelled() -> bool:
    return False


@dataclass
class RunContext:
    """Everything an agent may use besides its parameters."""

    tool_id: str
    work_dir: Path
    data: Dataset
    """The current primary dataset (after the upstream data-changing agents)."""
    original: Dataset
    """The primary dataset as read, before any agent changed it."""
    baseline: Dataset | None = None
    schema_path: Path | None = None
    """master-my-data: the optional data contract file (JSON or YAML)."""
    progress: ProgressFn = _no_progress
    """Report progress of the current agent as a fraction 0..1 (throttled by the caller)."""
    is_cancelled: Callable[[], bool] = _never_cancelled
    state: dict[str, Any] = field(default_factory=dict)
    """Typed hand-over between agents of one run (e.g. semantic mapping, clusters, upstream manifests)."""
    results: dict[str, AgentResult] = field(default_factory=dict)
    """Results of the agents that already ran, by agent id."""
    agent_dir: Path | None = None
    """Where the current agent writes its output files (set by the pipeline)."""
    _last_check: float = 0.0

    def check_cancelled(self) -> None:
        """Raise `TaskCancelled` if the user cancelled; cheap enough to call inside loops."""
        now = time.monotonic()
        if now - self._last_check < 0.2:
            return
        self._last_check = now
        if self.is_cancelled():
            raise TaskCancelled()

    def output_path(self, name: str) -> Path:
        assert self.agent_dir is not None
        self.agent_dir.mkdir(parents=True, exist_ok=True)
        return self.agent_dir / name


class Agent(ABC):
    """One step of a tool's pipeline. Metadata (id, name, cost, needs) lives in the registry."""

    id: ClassVar[str]
    Params: ClassVar[type[AgentParams]] = AgentParams

    @abstractmethod
    def run(self, params: Any, ctx: RunContext) -> AgentResult:
        """Do the work on `ctx.data`; never mutate files in place."""


def require_baseline(ctx: RunContext, agent_id: str) -> Dataset:
    if ctx.baseline is None:
        raise AgensiumError(
            ErrorCode.MISSING_BASELINE, f"{agent_id} needs a baseline file", {"agent_id": agent_id}
        )
    return ctx.baseline


def empty_row_issues() -> pl.DataFrame:
    return pl.DataFrame(schema=ROW_ISSUE_SCHEMA)
