// Messages for the user: the API's `detail` first, then the context that helps act on it
// (e.g. available/required credits, the invalid parameters), never a stack trace.
import { clear, formatCell, h, humanize } from "./dom.js";

const CONTEXT_KEYS = [
  "available", "required", "balance", "shortfall", "status", "max_bytes", "size_bytes", "role",
  "format", "formats", "expected", "missing", "reason", "retry_after",
];

function contextLines(context, detail = "") {
  if (!context || typeof context !== "object") return [];
  const lines = [];
  for (const key of CONTEXT_KEYS) {
    if (context[key] === undefined || context[key] === null) continue;
    const v = context[key];
    if (typeof v === "string" && detail.includes(v)) continue; // already said in the message
    lines.push(h("li", {}, h("span", { class: "ctx-key", text: `${humanize(key)}: ` }),
      Array.isArray(v) ? v.map(formatCell).join(", ") : formatCell(v)));
  }
  if (Array.isArray(context.problems)) {
    for (const p of context.problems.slice(0, 10)) {
      const where = [p.agent, p.field].filter(Boolean).join(" › ");
      lines.push(h("li", {}, where ? h("span", { class: "ctx-key", text: `${where}: ` }) : null, formatCell(p.error ?? p)));
    }
  }
  if (Array.isArray(context.missing_roles)) {
    lines.push(h("li", { text: `Missing files: ${context.missing_roles.join(", ")}` }));
  }
  return lines;
}

export function errorBox(err) {
  const detail = (err && (err.detail || err.message)) || "Something went wrong.";
  const lines = contextLines(err && err.context, detail);
  return h("div", { class: "notice notice-error", role: "alert", dataset: { errorCode: (err && err.code) || "" } },
    h("p", { class: "notice-detail", text: detail }),
    lines.length ? h("ul", { class: "notice-context" }, lines) : null,
    err && err.code ? h("p", { class: "notice-code", text: err.code }) : null);
}

export function showError(container, err) {
  clear(container).append(errorBox(err));
  container.hidden = false;
}

export function showInfo(container, message) {
  clear(container).append(h("div", { class: "notice notice-info", role: "status", text: message }));
  container.hidden = false;
}

export function hideNotice(container) {
  clear(container);
  container.hidden = true;
}
