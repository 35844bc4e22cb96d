"""Write the report in the requested formats (JSON, Excel, HTML) and describe each file as an OutputFile."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from agensium.engine.agent import OutputFile
from agensium.engine.report.excel import write_excel
from agensium.engine.report.html import render_html
from agensium.engine.report.json_writer import write_json

MIME = {
    "json": "application/json",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}
FORMATS = tuple(MIME)


def report_basename(tool_id: str) -> str:
    return tool_id.replace("-", "_") + "_report"


def write_html(report: dict[str, Any], path: Path) -> Path:
    path.write_text(render_html(report), encoding="utf-8")
    return path


WRITERS = {"json": write_json, "xlsx": write_excel, "html": write_html}


def write_reports(report: dict[str, Any], tool_id: str, out_dir: Path, formats: tuple[str, ...]) -> list[OutputFile]:
    """`{tool}_report.<fmt>` for each known format, in a fixed order (json, xlsx, html)."""
    base = report_basename(tool_id)
    files: list[OutputFile] = []
    for fmt in FORMATS:
        if fmt in formats:
            path = WRITERS[fmt](report, out_dir / f"{base}.{fmt}")
            files.append(OutputFile(name=path.name, path=path, kind="report", mime_type=MIME[fmt]))
    return files
