"""Write the report in the requested formats. MINIMAL VERSION: JSON only until the Excel/HTML writers land."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agensium.engine.agent import OutputFile
from agensium.engine.report.json_writer import write_json


def report_basename(tool_id: str) -> str:
    return tool_id.replace("-", "_") + "_report"


def write_reports(report: dict[str, Any], tool_id: str, out_dir: Path, formats: tuple[str, ...]) -> list[OutputFile]:
    base = report_basename(tool_id)
    files: list[OutputFile] = []
    if "json" in formats:
        p = write_json(report, out_dir / f"{base}.json")
        files.append(OutputFile(name=p.name, path=p, kind="report", mime_type="application/json"))
    return files
