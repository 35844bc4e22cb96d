"""Report writers benchmark: JSON, Excel and HTML for a profile-like report of N columns.

    .venv/bin/python benchmarks/bench_reports.py            # 20, 200 and 1000 columns
"""

from __future__ import annotations

import math
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import polars as pl
from common import print_table

from agensium.engine.agent import ROW_ISSUE_SCHEMA, AgentResult, Alert, Issue
from agensium.engine.report.model import build_report
from agensium.engine.report.writers import WRITERS


def profile_report(columns: int, row_issues: int = 5000) -> dict:
    names = [f"column_{i}" for i in range(columns)]
    table = {"title": "Columns", "columns": ["column", "type", "null %", "distinct", "mean", "std", "p50", "grade"],
             "rows": [[n, "Float64", i % 7 * 1.1, 1000 + i, math.sin(i), 1.5, i / 3, "A"] for i, n in enumerate(names)]}
    charts = [{"title": f"Distribution of {n}", "type": "histogram", "labels": [f"{b * 10}" for b in range(20)],
               "series": [{"name": "rows", "values": [abs(math.sin(b + i)) * 1000 for b in range(20)]}]}
              for i, n in enumerate(names[:50])]
    result = AgentResult(agent_id="unified-profiler", summary={"columns": columns, "rows": 1_000_000}, score=91.0,
                         data={"tables": [table], "charts": charts},
                         alerts=[Alert(severity="medium", category="nulls", message=f"{n} has nulls") for n in names[:100]],
                         issues=[Issue(field=n, issue_type="outlier", severity="low", message="outliers", count=3)
                                 for n in names])
    ri = pl.DataFrame({"row_index": range(row_issues), "column": [names[i % columns] for i in range(row_issues)],
                       "issue_type": "outlier", "severity": "low", "message": "value outside IQR fences",
                       "value": [str(i * 1.5) for i in range(row_issues)], "agent_id": "unified-profiler"},
                      schema={**ROW_ISSUE_SCHEMA, "agent_id": pl.String()})
    start = datetime(2026, 1, 1, tzinfo=UTC)
    return build_report(tool_id="profile-my-data", tool_name="Profile My Data", agents=["unified-profiler"],
                        results=[result], row_issues=ri, started_at=start, finished_at=start + timedelta(seconds=3),
                        inputs={"primary": {"name": "wide.csv", "rows": 1_000_000, "columns": columns}},
                        status="completed")


def main(sizes: list[int]) -> None:
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            report = profile_report(n)
            figures: dict[str, object] = {"columns": n}
            for fmt, writer in WRITERS.items():
                path = Path(tmp) / f"r{n}.{fmt}"
                t0 = time.perf_counter()
                writer(report, path)
                figures[f"{fmt}_s"] = round(time.perf_counter() - t0, 3)
                figures[f"{fmt}_kb"] = path.stat().st_size // 1024
            rows.append(figures)
    print_table(rows, "report writers (one profile agent, 50 charts, 1000-row issue sample)")


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [20, 200, 1000])
