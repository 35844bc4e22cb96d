"""A test-only tool for queue tests, plus the Celery app module test workers load (`-A qtool`).

`queue-test` has three non-data-changing agents whose run length is a parameter (steps x
step_seconds), so tests can cancel or kill a worker mid-run without a sleep in production code.
Each agent also does real work on the data (counts rows and nulls) so the report is not empty.
"""

from __future__ import annotations

import time

import polars as pl
from pydantic import Field

from agensium.engine import registry
from agensium.engine.agent import ROW_ID, Agent, AgentParams, AgentResult, RunContext
from agensium.engine.registry import AgentSpec, FileSpec, ToolSpec
from agensium.errors import AgensiumError, ErrorCode
from agensium.service.queue.celery_app import celery_app

TOOL_ID = "queue-test"
COSTS = {"slow-a": 10, "slow-b": 20, "slow-c": 30}


class SlowParams(AgentParams):
    steps: int = Field(3, ge=1, le=100_000, description="How many work steps")
    step_seconds: float = Field(0.01, ge=0, le=5, description="Pause per step (test only)")
    fail: bool = Field(False, description="Raise an agent error at the end")


class SlowAgent(Agent):
    id = "slow"
    Params = SlowParams

    def run(self, params: SlowParams, ctx: RunContext) -> AgentResult:
        for i in range(params.steps):
            ctx.check_cancelled()
            time.sleep(params.step_seconds)
            ctx.progress((i + 1) / params.steps)
        if params.fail:
            raise AgensiumError(ErrorCode.AGENT_ERROR, "asked to fail")
        cols = ctx.data.columns
        stats = ctx.data.lazy().select(pl.len().alias("rows"),
                                       *[pl.col(c).null_count().alias(c) for c in cols if c != ROW_ID]).collect()
        row = stats.row(0, named=True)
        return AgentResult(agent_id=self.id, summary={"rows": row.pop("rows"), "nulls": int(sum(row.values()))},
                           score=100.0)


class SlowA(SlowAgent):
    id = "slow-a"


class SlowB(SlowAgent):
    id = "slow-b"


class SlowC(SlowAgent):
    id = "slow-c"


CLASSES = {"slow-a": "SlowA", "slow-b": "SlowB", "slow-c": "SlowC"}


TOOL = ToolSpec(
    id=TOOL_ID, name="Queue Test", description="test only",
    files=(FileSpec("primary", True, ("csv",), 50 * 1024 * 1024, "data"),),
    agents=tuple(AgentSpec(id=a, name=a, description=a, cost=c, impl=f"{__name__}:{CLASSES[a]}")
                 for a, c in COSTS.items()),
)


def register() -> None:
    registry._TOOLS_BY_ID[TOOL_ID] = TOOL


register()
app = celery_app
