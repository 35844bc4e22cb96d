"""The HTML report: one self-contained file (inline CSS, a little inline JS, charts as inline SVG).

No CDN and no external fonts, so it opens offline and can be mailed around. Every value that comes
from the user's data or an agent (column names, cell values, messages) is escaped: a column called
`<script>` shows as text.
"""

from __future__ import annotations

from html import escape
from typing import Any

from agensium.engine.report.cells import as_dict, as_list, charts_of, input_lines, tables_of, text
from agensium.engine.report.excel import LIST_SHEETS, SEVERITY_ORDER

PALETTE = ("#3366cc", "#dc7633", "#28a745", "#8e44ad", "#c0392b", "#16a085", "#7f8c8d", "#d4ac0d")

CSS = """
:root{--fg:#1f2933;--muted:#616e7c;--line:#d9e2ec;--bg:#f5f7fa;--accent:#3366cc}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;
color:var(--fg);background:var(--bg)}main{max-width:1200px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 10px;border-bottom:2px solid var(--line);padding-bottom:4px}
h3{font-size:16px;margin:18px 0 8px}.muted{color:var(--muted)}
.meta{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:12px 0}
.meta dt{font-weight:600}.meta dd{margin:0;word-break:break-word}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(200px,1fr));gap:10px}
.card{background:#fff;border:1px solid var(--line);border-left:5px solid #9fb3c8;border-radius:6px;padding:10px}
.card .v{font-size:22px;font-weight:700}.card .t{color:var(--muted);font-size:12px;text-transform:uppercase}
.s-excellent,.s-good,.s-success{border-left-color:#28a745}.s-fair,.s-warning,.s-medium{border-left-color:#f0ad4e}
.s-poor,.s-critical,.s-failed,.s-high{border-left-color:#d9534f}.s-info,.s-low{border-left-color:#5bc0de}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;font-weight:600;background:#e4e7eb}
.b-critical,.b-failed{background:#fde2e1;color:#9c0006}.b-high{background:#fde8d7;color:#8a3b00}
.b-medium,.b-skipped,.b-cancelled{background:#fff3cd;color:#7a5b00}.b-low,.b-info{background:#e0f2fe;color:#075985}
.b-success{background:#dcfce7;color:#166534}
section.agent{background:#fff;border:1px solid var(--line);border-radius:8px;padding:4px 16px 12px;margin:14px 0}
details>summary{cursor:pointer;font-weight:600;font-size:17px;padding:8px 0}
.tw{overflow-x:auto;max-height:520px;overflow-y:auto;border:1px solid var(--line);border-radius:4px;margin:6px 0 14px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{padding:4px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;max-width:480px;
overflow-wrap:break-word}th{position:sticky;top:0;background:#eef2f7;z-index:1;white-space:nowrap}
td.n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap;overflow-wrap:normal}
.kv{width:auto}.kv th{position:static;background:none;font-weight:600}
input.filter{margin:4px 0;padding:4px 8px;border:1px solid var(--line);border-radius:4px;width:260px}
svg{max-width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:4px;margin:6px 0}
svg text{font:11px system-ui,sans-serif;fill:#334}.err{color:#9c0006;font-weight:600}
@media print{body{background:#fff}main{max-width:none;padding:0}.tw{max-height:none;overflow:visible}
input.filter{display:none}details{display:block}section.agent{break-inside:avoid-page}}
"""

JS = """
document.querySelectorAll('input.filter').forEach(function(inp){inp.addEventListener('input',function(){
var q=inp.value.toLowerCase();var t=document.getElementById(inp.dataset.table);if(!t)return;
t.querySelectorAll('tbody tr').forEach(function(r){r.style.display=r.textContent.toLowerCase().indexOf(q)>=0?'':'none';});});});
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
"""


def e(value: Any, limit: int = 20_000) -> str:
    return escape(text(value, limit), quote=True)


def _cls(value: Any) -> str:
    """A CSS class suffix from a status/severity: only known words, never user text."""
    v = text(value, 20).lower()
    known = {"excellent", "good", "fair", "poor", "info", "warning", "critical", "high", "medium", "low",
             "success", "failed", "skipped", "cancelled"}
    return v if v in known else "info"


class _Ids:
    def __init__(self) -> None:
        self.n = 0

    def next(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"


def _table(columns: list[Any], rows: list[list[Any]], ids: _Ids, filter_box: bool = False) -> str:
    tid = ids.next("t")
    head = "".join(f"<th>{e(c, 300)}</th>" for c in columns)
    body = []
    for r in rows:
        cells = []
        for c in r:
            num = isinstance(c, int | float) and not isinstance(c, bool)
            cells.append(f'<td class="n">{e(c)}</td>' if num else f"<td>{e(c, 2000)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    box = (f'<input class="filter" type="search" placeholder="Filter rows…" data-table="{tid}">'
           if filter_box and len(rows) > 10 else "")
    return f'{box}<div class="tw"><table id="{tid}"><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table></div>'


def _kv(pairs: list[tuple[Any, Any]]) -> str:
    rows = "".join(f"<tr><th>{e(k, 300)}</th><td>{e(v, 2000)}</td></tr>" for k, v in pairs)
    return f'<table class="kv"><tbody>{rows}</tbody></table>' if rows else ""


def _fmt(v: float) -> str:
    """Compact tick labels: 1250 -> 1250, 50240 -> 50.2k, 3.1e6 -> 3.1M."""
    a = abs(v)
    if a >= 1e12 or (0 < a < 1e-3):
        return f"{v:.2e}"
    for scale, unit in ((1e9, "G"), (1e6, "M"), (1e4, "k")):
        if a >= scale:
            return f"{v / (scale if unit != 'k' else 1e3):.3g}{unit}"
    return f"{v:.4g}"


def svg_chart(spec: dict[str, Any]) -> str:
    """A bar, histogram or line chart as inline SVG (grouped bars for several series)."""
    labels, series = spec["labels"], spec["series"]
    width, height, left, right, top, bottom = 760, 320, 70, 16, 30, 70
    plot_w, plot_h = width - left - right, height - top - bottom
    values = [v for s in series for v in s["values"] if v is not None]
    lo, hi = min([0.0, *values]), max([0.0, *values])
    if hi == lo:
        hi = lo + 1.0
    def y(v: float) -> float:
        return top + plot_h - (v - lo) / (hi - lo) * plot_h
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
             f'aria-label="{e(spec["title"], 200)}"><text x="{width / 2}" y="18" text-anchor="middle" '
             f'font-weight="600">{e(spec["title"], 200)}</text>']
    for k in range(5):
        v = lo + (hi - lo) * k / 4
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#e4e7eb"/>'
                     f'<text x="{left - 6}" y="{y(v) + 4:.1f}" text-anchor="end">{_fmt(v)}</text>')
    n = len(labels)
    slot = plot_w / max(n, 1)
    step = max(1, n // 20)
    for i, label in enumerate(labels):
        if i % step == 0:
            cx = left + slot * (i + 0.5)
            parts.append(f'<text x="{cx:.1f}" y="{top + plot_h + 14}" text-anchor="end" '
                         f'transform="rotate(-35 {cx:.1f} {top + plot_h + 14})">{e(label, 24)}</text>')
    if spec["type"] == "line":
        for j, s in enumerate(series):
            pts = " ".join(f"{left + slot * (i + 0.5):.1f},{y(v):.1f}" for i, v in enumerate(s["values"]) if v is not None)
            parts.append(f'<polyline fill="none" stroke="{PALETTE[j % len(PALETTE)]}" stroke-width="2" points="{pts}"/>')
    else:
        gap = 0.02 if spec["type"] == "histogram" else 0.2
        bar_w = slot * (1 - gap) / len(series)
        for j, s in enumerate(series):
            color = PALETTE[j % len(PALETTE)]
            for i, v in enumerate(s["values"]):
                if v is None:
                    continue
                x = left + slot * i + slot * gap / 2 + bar_w * j
                y0, y1 = sorted((y(0.0 if lo <= 0 <= hi else lo), y(v)))
                parts.append(f'<rect x="{x:.1f}" y="{y0:.1f}" width="{max(bar_w, 0.5):.1f}" '
                             f'height="{max(y1 - y0, 0.5):.1f}" fill="{color}"><title>{e(labels[i], 100)}: '
                             f'{_fmt(v)}</title></rect>')
    parts.append(f'<line x1="{left}" x2="{left}" y1="{top}" y2="{top + plot_h}" stroke="#9aa5b1"/>')
    if spec.get("x_title"):
        parts.append(f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle">{e(spec["x_title"], 100)}</text>')
    if spec.get("y_title"):
        parts.append(f'<text x="12" y="{top + plot_h / 2}" text-anchor="middle" '
                     f'transform="rotate(-90 12 {top + plot_h / 2})">{e(spec["y_title"], 100)}</text>')
    if len(series) > 1:
        for j, s in enumerate(series):
            lx = left + 10 + j * 140
            parts.append(f'<rect x="{lx}" y="{top - 4}" width="10" height="10" fill="{PALETTE[j % len(PALETTE)]}"/>'
                         f'<text x="{lx + 14}" y="{top + 5}">{e(s["name"], 20)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _agent(agent_id: str, r: dict[str, Any], ids: _Ids) -> str:
    status = text(r.get("status"))
    head = (f'<details open><summary>{e(agent_id)} <span class="badge b-{_cls(status)}">{e(status)}</span>'
            + (f' <span class="muted">score {e(r.get("score"))}</span>' if r.get("score") is not None else "")
            + f' <span class="muted">{e(r.get("execution_time_ms"))} ms</span></summary>')
    body = []
    err = as_dict(r.get("error"))
    if err:
        body.append(f'<p class="err">Failed: {e(err.get("code"))}: {e(err.get("message"))}</p>')
    elif status != "success":
        body.append(f'<p class="muted">This agent {e(status)}.</p>')
    summary = as_dict(r.get("summary"))
    if summary:
        body.append(_kv(list(summary.items())))
    data = r.get("data")
    for t in tables_of(data):
        body.append(f"<h3>{e(t['title'])}</h3>" + _table(t["columns"], t["rows"], ids, filter_box=True))
    for c in charts_of(data):
        body.append(svg_chart(c))
    return f'<section class="agent" id="agent-{e(agent_id, 100)}">{head}{"".join(body)}</details></section>'


def render_html(report: dict[str, Any]) -> str:
    ids = _Ids()
    meta = as_dict(report.get("metadata"))
    title = f"{text(meta.get('tool_name')) or 'Agensium'} report"
    out = [f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" '
           f'content="width=device-width,initial-scale=1"><title>{e(title)}</title><style>{CSS}</style></head>'
           f"<body><main><header><h1>{e(title)}</h1>"
           f'<p class="muted">Status <span class="badge b-{_cls(meta.get("status"))}">{e(meta.get("status"))}</span>'
           f' · finished {e(meta.get("finished_at"))} · {e(meta.get("execution_time_ms"))} ms</p>']
    pairs = [("Tool", meta.get("tool_id")), ("Task", meta.get("task_id")), ("Started", meta.get("started_at")),
             ("Agents requested", ", ".join(text(a) for a in as_list(meta.get("agents_requested")))),
             ("Agents completed", ", ".join(text(a) for a in as_list(meta.get("agents_completed"))))]
    pairs += input_lines(meta.get("inputs"))
    pairs.append(("Output files", ", ".join(text(as_dict(o).get("name")) for o in as_list(meta.get("outputs")))))
    out.append('<dl class="meta">' + "".join(f"<dt>{e(k)}</dt><dd>{e(v)}</dd>" for k, v in pairs if text(v))
               + "</dl></header>")
    cards = [as_dict(c) for c in as_list(report.get("executive_summary"))]
    if cards:
        out.append('<h2>Executive summary</h2><div class="cards">' + "".join(
            f'<div class="card s-{_cls(c.get("status"))}"><div class="t">{e(c.get("title"), 200)}</div>'
            f'<div class="v">{e(c.get("value"), 200)}</div>'
            + (f'<div class="muted">{e(c.get("description"), 500)}</div>' if text(c.get("description")) else "")
            + "</div>" for c in cards) + "</div>")
    by_sev = as_dict(as_dict(report.get("summary")).get("alerts_by_severity"))
    sections = {key: (title, fields) for title, key, fields in LIST_SHEETS}
    alerts = as_list(report.get("alerts"))
    out.append("<h2>Alerts</h2><p>" + " ".join(
        f'<span class="badge b-{s}">{s}: {e(by_sev.get(s, 0))}</span>' for s in SEVERITY_ORDER) + "</p>")
    if alerts:
        out.append(_list_table(alerts, sections["alerts"][1], ids))
    agents = as_dict(report.get("agent_results"))
    if agents:
        out.append("<h2>Agents</h2>" + "".join(_agent(a, as_dict(r), ids) for a, r in agents.items()))
    for key in ("issues", "recommendations"):
        items = as_list(report.get(key))
        if items:
            out.append(f"<h2>{e(sections[key][0])}</h2>" + _list_table(items, sections[key][1], ids))
    rli = as_list(report.get("row_level_issues"))
    if rli:
        total = as_dict(report.get("issue_summary")).get("total_issues")
        note = (f'<p class="muted">A sample of {len(rli)} of {e(total)} row-level issues, spread over agents and '
                f"issue types; the full list is in row_issues.csv.</p>" if report.get("row_level_issues_sampled") is True else "")
        out.append("<h2>Row-level issues</h2>" + note + _list_table(rli, sections["row_level_issues"][1], ids))
    out.append(f'<footer class="muted"><p>Report version {e(report.get("report_version"))}.</p></footer>'
               f"</main><script>{JS}</script></body></html>")
    return "".join(out)


def _list_table(items: list[Any], fields: list[tuple[str, str]], ids: _Ids) -> str:
    rows = []
    for it in items[:5000]:
        it = as_dict(it)
        rows.append([", ".join(text(x) for x in it[k]) if isinstance(it.get(k), list) else it.get(k)
                     for _, k in fields])
    return _table([h for h, _ in fields], rows, ids, filter_box=True)
