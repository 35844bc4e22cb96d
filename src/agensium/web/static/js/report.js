// The report view: executive cards, alerts by severity, per-agent sections (summary, tables,
// charts), the row-issue sample and the downloads. Renders the versioned JSON report generically.
import { Api } from "./api.js";
import { renderChart } from "./charts.js";
import { clear, formatBytes, formatCell, formatDate, h, humanize } from "./dom.js";
import { errorBox } from "./notice.js";
import { statusBadge } from "./tasks.js";

const SEVERITIES = ["critical", "high", "medium", "low", "info"];

function table(columns, rows, { caption, max = 1000 } = {}) {
  const shown = rows.slice(0, max);
  // a column is right-aligned only when all its values are numbers (mixed columns stay left)
  const numeric = columns.map((_, i) => shown.some((r) => typeof r[i] === "number")
    && shown.every((r) => r[i] === null || r[i] === undefined || typeof r[i] === "number"));
  const t = h("table", {},
    caption ? h("caption", { text: caption }) : null,
    h("thead", {}, h("tr", {}, columns.map((c, i) =>
      h("th", { scope: "col", class: numeric[i] ? "num" : undefined, text: humanize(c) })))),
    h("tbody", {}, shown.map((r) => h("tr", {}, r.map((cell, i) =>
      h("td", { class: numeric[i] ? "num" : undefined, text: formatCell(cell) }))))));
  if (!rows.length) t.append(h("tbody", {}, h("tr", {}, h("td", { colspan: String(columns.length), class: "muted", text: "None." }))));
  const wrap = h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption || "Table" }, t);
  if (rows.length > shown.length) wrap.append(h("p", { class: "muted", text: `Showing ${shown.length} of ${rows.length} rows.` }));
  return wrap;
}

function section(title, ...children) {
  return h("section", { class: "report-section" }, h("h3", { text: title }), children);
}

function cards(items) {
  return h("div", { class: "cards" }, (items || []).map((c) =>
    h("div", { class: `card card-${c.status || "info"}` },
      h("div", { class: "card-title", text: c.title }),
      h("div", { class: "card-value", text: c.value }),
      c.description ? h("div", { class: "card-desc", text: c.description }) : null)));
}

function alertsSection(alerts, agentName) {
  if (!alerts || !alerts.length) return section("Alerts", h("p", { class: "muted", text: "No alerts." }));
  const groups = SEVERITIES.map((sev) => [sev, alerts.filter((a) => a.severity === sev)]).filter(([, a]) => a.length);
  return section(`Alerts (${alerts.length})`, groups.map(([sev, items]) =>
    h("details", { class: "alert-group", dataset: { severity: sev }, open: sev === "critical" || sev === "high" },
      h("summary", {}, h("span", { class: `sev sev-${sev}`, text: sev }), ` ${items.length}`),
      h("ul", { class: "alerts" }, items.map((a) => h("li", {},
        h("span", { class: "alert-agent", text: agentName(a.agent_id) }),
        a.category ? h("span", { class: "alert-cat", text: ` · ${a.category}` }) : null,
        h("p", { text: a.message }),
        a.affected_fields && a.affected_fields.length
          ? h("p", { class: "muted", text: `Fields: ${a.affected_fields.join(", ")}` }) : null,
        a.recommendation ? h("p", { class: "rec", text: `→ ${a.recommendation}` }) : null))))));
}

function issuesSection(issues, agentName) {
  if (!issues || !issues.length) return null;
  const rows = issues.map((i) => [agentName(i.agent_id), i.field, i.issue_type, i.severity, i.message, i.count]);
  return section(`Issues (${issues.length})`,
    table(["agent", "field", "issue_type", "severity", "message", "count"], rows, { caption: "Issues found" }));
}

function recommendationsSection(recs, agentName) {
  if (!recs || !recs.length) return null;
  const order = (r) => SEVERITIES.indexOf(r.priority);
  return section(`Recommendations (${recs.length})`, h("ol", { class: "recs" },
    [...recs].sort((a, b) => order(a) - order(b)).map((r) => h("li", {},
      h("span", { class: `sev sev-${r.priority}`, text: r.priority }), " ",
      r.field ? h("strong", { text: `${r.field}: ` }) : null, r.recommendation,
      r.rationale ? h("span", { class: "muted", text: ` (${r.rationale})` }) : null,
      h("span", { class: "muted", text: ` · ${agentName(r.agent_id)}` })))));
}

function summaryList(summary) {
  const entries = Object.entries(summary || {});
  if (!entries.length) return null;
  return h("dl", { class: "kv" }, entries.map(([k, v]) =>
    h("div", { class: "kv-item" }, h("dt", { text: humanize(k) }), h("dd", { text: formatCell(v) }))));
}

function agentSection(id, result, agentName, timing) {
  const data = (result && result.data) || {};
  const head = h("summary", {},
    h("span", { class: "agent-title", text: agentName(id) }), " ",
    h("span", { class: `badge badge-${result.status === "success" ? "completed" : "failed"}`, text: result.status }),
    result.score !== null && result.score !== undefined
      ? h("span", { class: "score", text: `Score ${formatCell(result.score)}` }) : null,
    timing !== undefined ? h("span", { class: "muted", text: `${formatCell(timing)} ms` }) : null);
  const body = [];
  if (result.error) body.push(errorBox({ detail: result.error.message, code: result.error.code }));
  body.push(summaryList(result.summary));
  for (const t of Array.isArray(data.tables) ? data.tables : []) {
    if (t && Array.isArray(t.columns) && Array.isArray(t.rows)) body.push(table(t.columns, t.rows, { caption: t.title }));
  }
  const charts = (Array.isArray(data.charts) ? data.charts : []).filter(Boolean);
  if (charts.length) body.push(h("div", { class: "charts" }, charts.map(renderChart)));
  if (result.outputs && result.outputs.length) body.push(h("p", { class: "muted", text: `Files: ${result.outputs.join(", ")}` }));
  const params = Object.entries(result.parameters || {});
  if (params.length) {
    // the settings that produced this result (defaults included), so a run can be explained and repeated
    body.push(h("details", { class: "agent-params" }, h("summary", { text: `Settings used (${params.length})` }),
      h("dl", { class: "kv" }, params.map(([k, v]) =>
        h("div", { class: "kv-item" }, h("dt", { text: humanize(k) }), h("dd", { text: formatCell(v) }))))));
  }
  return h("details", { class: "agent-section", open: true, dataset: { agentId: id } }, head, body);
}

function rowIssuesSection(report, agentName) {
  const rows = report.row_level_issues || [];
  const summary = report.issue_summary || {};
  if (!rows.length) return section("Row-level issues", h("p", { class: "muted", text: "No row-level issues." }));
  const cols = ["row_index", "column", "issue_type", "severity", "message", "value", "agent_id"]
    .filter((c) => rows.some((r) => r[c] !== undefined));
  const note = report.row_level_issues_sampled
    ? `A fair sample of ${rows.length} out of ${summary.total_issues ?? "many"} issues; the full list is in the downloads.`
    : `${rows.length} issue${rows.length === 1 ? "" : "s"}.`;
  return section("Row-level issues", h("p", { class: "muted", text: note }),
    table(cols, rows.map((r) => cols.map((c) => (c === "agent_id" ? agentName(r[c]) : r[c]))),
      { caption: "Row-level issue sample" }));
}

function downloadsSection(payload) {
  const items = (payload && payload.downloads) || [];
  if (!items.length) return section("Downloads", h("p", { class: "muted", text: "No files to download." }));
  return section("Downloads", h("ul", { class: "downloads" }, items.map((d) =>
    h("li", {}, /^https?:\/\//i.test(d.url || "") // only real links, never a javascript: URL
      ? h("a", { href: d.url, download: d.filename, rel: "noopener", text: d.filename })
      : h("span", { text: d.filename }),
      h("span", { class: "muted", text: ` ${[d.type, formatBytes(d.size_bytes)].filter(Boolean).join(" · ")}` })))),
  payload.expires_in_seconds
    ? h("p", { class: "muted", text: `Links expire in ${Math.round(payload.expires_in_seconds / 60)} minutes.` }) : null);
}

// A contents line for long reports. Buttons, not #anchors: the hash is the page's route.
function contents(entries) {
  return h("nav", { class: "report-contents", "aria-label": "Report contents" },
    h("span", { class: "muted", text: "Jump to: " }),
    entries.map(([title, el]) => h("button", { type: "button", class: "link", text: title, onclick: () => {
      el.scrollIntoView({ behavior: "smooth", block: "start" });
      const target = el.querySelector("h3, summary");
      if (target) {
        if (!target.hasAttribute("tabindex") && target.tagName !== "SUMMARY") target.setAttribute("tabindex", "-1");
        target.focus({ preventScroll: true });
      }
    } })));
}

export async function renderReport(root, taskId, { agentNames, onBack }) {
  const back = h("button", { type: "button", class: "link back", text: "← Back to tasks", onclick: onBack });
  const heading = h("h2", { id: "report-title", tabindex: "-1", text: "Report" });
  clear(root).append(back, heading, h("p", { class: "muted", role: "status", text: "Loading the report…" }));
  heading.focus();
  const [report, downloads] = await Promise.allSettled([Api.report(taskId), Api.downloads(taskId)]);
  clear(root).append(back, heading);
  const name = (id) => agentNames()[id] || id;
  if (report.status === "rejected") {
    root.append(errorBox(report.reason));
    if (downloads.status === "fulfilled") root.append(downloadsSection(downloads.value));
    heading.focus();
    return;
  }
  const r = report.value || {};
  const meta = r.metadata || {};
  heading.textContent = `${meta.tool_name || meta.tool_id || "Report"}`;
  const inputs = Object.entries(meta.inputs || {}).map(([role, i]) =>
    `${role}: ${(i && (i.name || i.filename || i.display_name)) || ""}${i && i.rows !== undefined ? ` (${formatCell(i.rows)} rows)` : ""}`);
  root.append(h("p", { class: "report-meta" }, statusBadge(String(meta.status || "").toUpperCase()), " ",
    [formatDate(meta.finished_at), meta.execution_time_ms !== undefined ? `${formatCell(meta.execution_time_ms)} ms` : "",
      ...inputs].filter(Boolean).join(" · ")));
  const parts = [
    ["Summary", section("Summary", cards(r.executive_summary))],
    ["Downloads", downloads.status === "fulfilled" ? downloadsSection(downloads.value)
      : section("Downloads", errorBox(downloads.reason))],
    ["Alerts", alertsSection(r.alerts, name)],
    ["Issues", issuesSection(r.issues, name)],
    ["Recommendations", recommendationsSection(r.recommendations, name)],
  ];
  const results = r.agent_results || {};
  const order = (meta.agents_requested || Object.keys(results)).filter((id) => results[id]);
  for (const id of Object.keys(results)) if (!order.includes(id)) order.push(id);
  const agentEls = order.map((id) => [name(id), agentSection(id, results[id], name, (meta.timings_ms || {})[id])]);
  parts.push(["Agents", h("section", { class: "report-section" }, h("h3", { text: "Agents" }), agentEls.map(([, el]) => el))]);
  parts.push(["Row-level issues", rowIssuesSection(r, name)]);
  const shown = parts.filter(([, el]) => el);
  const nav = shown.flatMap(([t, el]) => (t === "Agents" ? agentEls : [[t, el]]));
  root.append(contents(nav), ...shown.map(([, el]) => el));
  heading.focus();
}
