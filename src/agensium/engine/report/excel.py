"""The Excel workbook: a Summary sheet, one sheet per agent, then Alerts, Issues, Recommendations, Row-Level Issues.

Agents never write Excel themselves: their `summary` becomes a key/value block, `data["tables"]`
become formatted Excel tables and `data["charts"]` native Excel charts. Rows are written with
`write_row`/`add_table` (no per-cell styling loops), strings are never turned into formulas or links.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import xlsxwriter

from agensium.engine.report.cells import as_dict, as_list, charts_of, input_lines, scalar, tables_of, text

_BAD_SHEET_CHARS = re.compile(r"[\[\]:*?/\\]")
SEVERITY_ORDER = ("critical", "high", "medium", "low", "info")


class SheetNames:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique ignoring case, not "History"."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, wanted: str) -> str:
        base = _BAD_SHEET_CHARS.sub("_", wanted).strip().strip("'") or "Sheet"
        if base.lower() == "history":  # reserved by Excel
            base += "_"
        name, k = base[:31], 1
        while name.lower() in self.used:
            k += 1
            suffix = f" ({k})"
            name = base[: 31 - len(suffix)] + suffix
        self.used.add(name.lower())
        return name


def _width(values: list[Any]) -> float:
    longest = max((len(line) for v in values for line in text(v, 200).splitlines() or [""]), default=0)
    return float(min(60, max(8, longest + 2)))


class _Writer:
    def __init__(self, path: Path) -> None:
        self.wb = xlsxwriter.Workbook(path, {
            "constant_memory": False, "in_memory": True, "strings_to_formulas": False, "strings_to_urls": False,
            "strings_to_numbers": False, "nan_inf_to_errors": True,
        })
        self.names = SheetNames()
        self.title = self.wb.add_format({"bold": True, "font_size": 14})
        self.bold = self.wb.add_format({"bold": True})
        self.section = self.wb.add_format({"bold": True, "font_size": 12, "bottom": 1})
        self.wrap = self.wb.add_format({"text_wrap": True, "valign": "top"})
        self.bad = self.wb.add_format({"bold": True, "font_color": "#9C0006", "bg_color": "#FFC7CE"})
        self.widths: dict[str, dict[int, float]] = {}
        self.chart_sheet: str | None = None
        self.chart_cells: list[tuple[int, list[str], list[list[Any]]]] = []
        self.chart_row = 0

    def finish(self) -> None:
        """Write the hidden chart-data sheet after every visible sheet, then close the workbook."""
        if self.chart_sheet is not None:
            ws = self.wb.add_worksheet(self.chart_sheet)
            for start, header, columns in self.chart_cells:
                ws.write_row(start, 0, header)
                for j, values in enumerate(columns):
                    ws.write_column(start + 1, j, values)
            ws.hide()
        self.wb.close()

    # --- building blocks -------------------------------------------------------------------
    def sheet(self, name: str) -> Any:
        ws = self.wb.add_worksheet(self.names.make(name))
        self.widths[ws.get_name()] = {0: 28.0, 1: 30.0}  # room for the key/value blocks
        ws.set_column(0, 0, 28)
        ws.set_column(1, 1, 30)
        return ws

    def keyvalues(self, ws: Any, row: int, pairs: list[tuple[Any, Any]]) -> int:
        for key, value in pairs:
            ws.write_string(row, 0, text(key, 255), self.bold)
            ws.write_row(row, 1, [_cell(value)])
            row += 1
        return row

    def table(self, ws: Any, row: int, title: str, columns: list[str], rows: list[list[Any]],
              freeze: bool = False) -> int:
        """An Excel table (banded, filter buttons) with widths fitted to the content; returns the next row."""
        ws.write_string(row, 0, text(title, 255), self.section)
        row += 1
        headers = _unique_headers(columns)
        data = [[_cell(c) for c in r] for r in rows] or [[None] * len(headers)]
        ws.add_table(row, 0, row + len(data), len(headers) - 1, {
            "data": data, "columns": [{"header": h} for h in headers], "style": "Table Style Light 9",
            "autofilter": bool(rows),
        })
        widths = self.widths.setdefault(ws.get_name(), {})
        for i, h in enumerate(headers):  # several tables share columns: keep the widest need
            widths[i] = max(widths.get(i, 0.0), _width([h] + [r[i] for r in rows[:200]]), 12 if i == 0 else 8)
            ws.set_column(i, i, widths[i])
        if freeze:
            ws.freeze_panes(row + 1, 0)
        return row + len(data) + 2

    def chart(self, ws: Any, row: int, spec: dict[str, Any]) -> int:
        """A native chart; its numbers go to one hidden data sheet, written last (see `finish`)."""
        if self.chart_sheet is None:
            self.chart_sheet = self.names.make("_chart_data")
        name = self.chart_sheet
        start = self.chart_row
        labels = spec["labels"]
        self.chart_cells.append((start, ["label"] + [s["name"] for s in spec["series"]],
                                 [labels] + [s["values"] for s in spec["series"]]))
        self.chart_row = start + len(labels) + 2
        kind = {"bar": "column", "histogram": "column", "line": "line"}[spec["type"]]
        chart = self.wb.add_chart({"type": kind})
        for j, s in enumerate(spec["series"]):
            options: dict[str, Any] = {
                "name": s["name"],
                "categories": [name, start + 1, 0, start + len(labels), 0],
                "values": [name, start + 1, j + 1, start + len(labels), j + 1],
            }
            if spec["type"] == "histogram":
                options["gap"] = 5
            chart.add_series(options)
        chart.set_title({"name": spec["title"][:255]})
        if spec.get("x_title"):
            chart.set_x_axis({"name": spec["x_title"]})
        if spec.get("y_title"):
            chart.set_y_axis({"name": spec["y_title"]})
        if len(spec["series"]) == 1:
            chart.set_legend({"none": True})
        chart.set_size({"width": 720, "height": 320})
        ws.insert_chart(row, 0, chart)
        return row + 18


def _cell(value: Any) -> Any:
    v = scalar(value)
    return "" if v is None else v


def _unique_headers(columns: list[str]) -> list[str]:
    seen: set[str] = set()
    out = []
    for i, c in enumerate(columns):
        base = (text(c, 250) or f"column_{i + 1}").replace("\n", " ")
        name, k = base, 1
        while name.lower() in seen:
            k += 1
            name = f"{base}_{k}"
        seen.add(name.lower())
        out.append(name)
    return out


def _summary_sheet(w: _Writer, report: dict[str, Any]) -> None:
    meta = as_dict(report.get("metadata"))
    ws = w.sheet("Summary")
    ws.write_string(0, 0, f"{text(meta.get('tool_name')) or 'Agensium'} report", w.title)
    pairs: list[tuple[Any, Any]] = [
        ("Tool", meta.get("tool_id")), ("Task", meta.get("task_id")), ("Status", meta.get("status")),
        ("Started", meta.get("started_at")), ("Finished", meta.get("finished_at")),
        ("Execution time (ms)", meta.get("execution_time_ms")), ("Report version", report.get("report_version")),
        ("Agents requested", ", ".join(text(a) for a in as_list(meta.get("agents_requested")))),
        ("Agents completed", ", ".join(text(a) for a in as_list(meta.get("agents_completed")))),
    ]
    pairs += input_lines(meta.get("inputs"))
    pairs.append(("Output files", ", ".join(text(as_dict(o).get("name")) for o in as_list(meta.get("outputs")))))
    row = w.keyvalues(ws, 2, pairs) + 1
    cards = [as_dict(c) for c in as_list(report.get("executive_summary"))]
    if cards:
        row = w.table(ws, row, "Executive summary", ["Title", "Value", "Status", "Description", "Agent"],
                      [[c.get("title"), c.get("value"), c.get("status"), c.get("description"), c.get("agent_id")]
                       for c in cards])
    summary = as_dict(report.get("summary"))
    by_sev = as_dict(summary.get("alerts_by_severity"))
    row = w.table(ws, row, "Alerts by severity", ["Severity", "Alerts"],
                  [[s, by_sev.get(s, 0)] for s in SEVERITY_ORDER])
    timings = as_dict(meta.get("timings_ms"))
    agents = as_dict(report.get("agent_results"))
    w.table(ws, row, "Agents", ["Agent", "Status", "Time (ms)", "Score", "Error"],
            [[a, as_dict(r).get("status"), as_dict(r).get("execution_time_ms", timings.get(a)),
              as_dict(r).get("score"), as_dict(as_dict(r).get("error")).get("message")] for a, r in agents.items()])
    ws.set_column(0, 0, 28)
    ws.set_column(1, 1, 40)


def _agent_sheet(w: _Writer, agent_id: str, result: dict[str, Any]) -> None:
    ws = w.sheet(agent_id)
    ws.write_string(0, 0, agent_id, w.title)
    status = text(result.get("status"))
    pairs: list[tuple[Any, Any]] = [("Status", status), ("Execution time (ms)", result.get("execution_time_ms")),
                                    ("Score", result.get("score"))]
    row = w.keyvalues(ws, 2, pairs)
    error = as_dict(result.get("error"))
    if status != "success":
        message = {"failed": "This agent failed; its results are not in this report and it is not charged.",
                   "skipped": "This agent did not run (an earlier step failed or the run was cancelled).",
                   "cancelled": "This agent was cancelled before it finished."}.get(status, "")
        ws.write_string(row + 1, 0, message or f"Status: {status}", w.bad)
        if error:
            row = w.keyvalues(ws, row + 2, [("Error code", error.get("code")), ("Error", error.get("message"))])
        return
    summary = as_dict(result.get("summary"))
    if summary:
        ws.write_string(row + 1, 0, "Summary", w.section)
        row = w.keyvalues(ws, row + 2, list(summary.items()))
    row += 1
    data = result.get("data")
    tables = tables_of(data)
    for i, t in enumerate(tables):
        row = w.table(ws, row, t["title"], t["columns"], t["rows"], freeze=(i == 0 and len(tables) == 1 and row < 40))
    for spec in charts_of(data):
        row = w.chart(ws, row, spec)


LIST_SHEETS: tuple[tuple[str, str, list[tuple[str, str]]], ...] = (
    ("Alerts", "alerts", [("ID", "alert_id"), ("Agent", "agent_id"), ("Severity", "severity"),
                          ("Category", "category"), ("Message", "message"), ("Affected fields", "affected_fields"),
                          ("Recommendation", "recommendation")]),
    ("Issues", "issues", [("ID", "issue_id"), ("Agent", "agent_id"), ("Field", "field"), ("Issue type", "issue_type"),
                          ("Severity", "severity"), ("Message", "message"), ("Count", "count")]),
    ("Recommendations", "recommendations", [("ID", "recommendation_id"), ("Agent", "agent_id"), ("Field", "field"),
                                            ("Priority", "priority"), ("Recommendation", "recommendation"),
                                            ("Rationale", "rationale")]),
    ("Row-Level Issues", "row_level_issues", [("Row", "row_index"), ("Agent", "agent_id"), ("Column", "column"),
                                              ("Issue type", "issue_type"), ("Severity", "severity"),
                                              ("Message", "message"), ("Value", "value")]),
)


def _list_sheet(w: _Writer, title: str, items: list[Any], fields: list[tuple[str, str]], note: str | None) -> None:
    ws = w.sheet(title)
    rows = []
    for it in items[:100_000]:
        it = as_dict(it)
        rows.append([", ".join(text(x) for x in it[k]) if isinstance(it.get(k), list) else it.get(k)
                     for _, k in fields])
    row = 0
    if note:
        ws.write_string(0, 0, note, w.wrap)
        row = 2
    w.table(ws, row, title, [h for h, _ in fields], rows, freeze=True)


def write_excel(report: dict[str, Any], path: Path) -> Path:
    w = _Writer(path)
    try:
        _summary_sheet(w, report)
        for agent_id, result in as_dict(report.get("agent_results")).items():
            _agent_sheet(w, agent_id, as_dict(result))
        for title, key, fields in LIST_SHEETS:
            items = as_list(report.get(key))
            if items:
                note = None
                if key == "row_level_issues":
                    total = as_dict(report.get("issue_summary")).get("total_issues")
                    note = (f"A sample of {len(items)} of {text(total)} row-level issues, spread over agents and "
                            "issue types; the full list is in row_issues.csv."
                            if report.get("row_level_issues_sampled") is True else None)
                _list_sheet(w, title, items, fields, note)
    finally:
        w.finish()
    return path
