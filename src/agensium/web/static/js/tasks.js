// The task list: live status while anything is queued or running (poll every 2 s, stop when
// all tasks are settled), with cancel, delete and the way into the report.
import { Api } from "./api.js";
import { clear, formatDate, h } from "./dom.js";
import { hideNotice, showError } from "./notice.js";

const ACTIVE = new Set(["QUEUED", "PROCESSING"]);
const CANCELLABLE = new Set(["QUEUED", "PROCESSING"]);
const DONE_OK = new Set(["COMPLETED"]);
const POLL_MS = 2000;
const FILTERS = [
  ["", "All tasks"],
  ["CREATED,UPLOADING,QUEUED,PROCESSING", "In progress"],
  ["COMPLETED", "Completed"],
  ["FAILED,UPLOAD_FAILED,CANCELLED,EXPIRED", "Failed or stopped"],
];

const STATUS_TEXT = {
  CREATED: "Created",
  UPLOADING: "Uploading",
  UPLOAD_FAILED: "Upload failed",
  QUEUED: "Queued",
  PROCESSING: "Processing",
  COMPLETED: "Completed",
  FAILED: "Failed",
  CANCELLED: "Cancelled",
  EXPIRED: "Expired",
};

function duration(startIso, endIso) {
  const ms = Date.parse(endIso) - Date.parse(startIso);
  if (!(ms >= 0)) return "";
  return ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

export function statusBadge(status) {
  return h("span", { class: `badge badge-${String(status || "").toLowerCase()}`, text: STATUS_TEXT[status] || status });
}

export function createTaskList(root, { onOpenReport, toolNames, agentNames = () => ({}), onSettled = () => {} }) {
  let timer = null;
  let tasks = [];
  const notice = h("div", { class: "notice-area", hidden: true });
  const list = h("ul", { class: "task-list", "aria-busy": "false" });
  // status changes are announced once here, not by re-reading the whole list every poll
  const live = h("p", { class: "sr-only", role: "status", "aria-live": "polite" });
  const lastStatus = new Map();
  let limit = 50;
  let generation = 0;
  const refreshBtn = h("button", { type: "button", class: "link", text: "Refresh", onclick: () => refresh() });
  const moreBtn = h("button", { type: "button", class: "small", text: "Show more", hidden: true, onclick: () => {
    limit = Math.min(100, limit + 50); // the API pages at most 100 tasks
    refresh();
  } });
  const filter = h("select", { id: "task-filter", onchange: () => refresh() },
    FILTERS.map(([value, text]) => h("option", { value, text })));
  clear(root).append(h("div", { class: "panel-head" }, h("h2", { id: "tasks-title", tabindex: "-1", text: "Your tasks" }), refreshBtn),
    h("div", { class: "task-filter" }, h("label", { for: "task-filter", text: "Show" }), filter),
    notice, live, list, moreBtn);

  function progressOf(t) {
    const detail = t.progress_detail || {};
    const agent = t.current_agent || detail.current_agent;
    const stage = detail.current_stage;
    const parts = [];
    if (agent) parts.push(`Running ${agentNames()[agent] || agent}`);
    else if (stage) parts.push(stage);
    if (detail.agents_total) parts.push(`${detail.agents_completed ?? 0}/${detail.agents_total} agents`);
    return parts.join(" · ");
  }

  async function act(fn, t) {
    try {
      await fn(t.task_id);
      notice.hidden = true;
    } catch (err) {
      showError(notice, err);
    }
    refresh();
  }

  function renderTask(t) {
    const name = toolNames()[t.tool_id] || t.tool_id;
    // each button names its task, so a screen-reader list of buttons is not five "Delete"s
    const which = `${name} task ${String(t.task_id).slice(0, 8)}`;
    const progress = Math.max(0, Math.min(100, Number(t.progress) || 0));
    const bar = h("progress", { max: "100", value: String(progress), "aria-label": `Progress ${progress}%` });
    const actions = h("div", { class: "task-actions" });
    if (DONE_OK.has(t.status) || t.downloads_available) {
      actions.append(h("button", { type: "button", class: "primary small", text: "View report",
        "aria-label": `View report of ${which}`, onclick: () => onOpenReport(t.task_id) }));
    }
    if (t.status === "FAILED" && t.error_code === "BILLING_INSUFFICIENT_CREDITS") {
      // the task keeps its uploaded files: once the wallet is topped up it can run as it is
      actions.append(h("button", { type: "button", class: "small", text: "Run again",
        "aria-label": `Run again ${which}`, onclick: () => act(Api.process, t) }));
    }
    if (CANCELLABLE.has(t.status)) {
      actions.append(h("button", { type: "button", class: "small", text: "Cancel",
        "aria-label": `Cancel ${which}`, onclick: () => act(Api.cancel, t) }));
    }
    if (t.status !== "PROCESSING") {
      actions.append(h("button", { type: "button", class: "small danger", text: "Delete",
        "aria-label": `Delete ${which}`, onclick: () => {
          if (window.confirm("Delete this task and all its files?")) act(Api.remove, t);
        } }));
    }
    const err = t.error_message || t.error_code;
    const took = duration(t.processing_started_at, t.completed_at || t.failed_at || t.cancelled_at);
    const files = Object.values(t.inputs || {}).map((i) => i && i.filename).filter(Boolean).join(", ");
    return h("li", { class: "task", dataset: { taskId: t.task_id, status: t.status } },
      h("div", { class: "task-head" },
        h("strong", { class: "task-tool", text: name }), statusBadge(t.status)),
      h("p", { class: "task-meta", text: [formatDate(t.created_at), files, took && `ran ${took}`,
        `#${String(t.task_id).slice(0, 8)}`].filter(Boolean).join(" · ") }),
      ACTIVE.has(t.status) || t.status === "COMPLETED"
        ? h("div", { class: "task-progress" }, bar, h("span", { class: "pct", text: `${progress}%` }),
          h("span", { class: "task-stage", text: ACTIVE.has(t.status) ? progressOf(t) : "" }))
        : null,
      err && t.status !== "COMPLETED"
        ? h("p", { class: "task-error" },
          t.error_code ? h("span", { class: "notice-code", text: `${t.error_code}: ` }) : null,
          t.error_agent && !String(t.error_message || "").includes(t.error_agent)
            ? `${agentNames()[t.error_agent] || t.error_agent}: ` : null,
          t.error_message || "")
        : null,
      actions);
  }

  function announce() {
    const changes = [];
    for (const t of tasks) {
      const before = lastStatus.get(t.task_id);
      if (before && before !== t.status) {
        changes.push(`${toolNames()[t.tool_id] || t.tool_id}: ${STATUS_TEXT[t.status] || t.status}`);
      }
      lastStatus.set(t.task_id, t.status);
    }
    if (changes.length) live.textContent = changes.join(". ");
  }

  // The list is rebuilt on every poll; keep keyboard focus on the same button of the same task.
  function focusedControl() {
    const el = document.activeElement;
    const item = el && el.closest ? el.closest(".task") : null;
    return item && list.contains(item) ? { id: item.dataset.taskId, text: el.textContent } : null;
  }

  function restoreFocus(was) {
    if (!was) return;
    const item = [...list.querySelectorAll(".task")].find((li) => li.dataset.taskId === was.id);
    const target = item && ([...item.querySelectorAll("button")].find((b) => b.textContent === was.text)
      || item.querySelector("button"));
    if (target) target.focus();
    else list.closest("section")?.querySelector("h2")?.focus();
  }

  function render() {
    const was = focusedControl();
    announce();
    clear(list);
    if (!tasks.length) {
      list.append(h("li", { class: "empty",
        text: filter.value ? "No tasks match this filter." : "No tasks yet. Start one with the form." }));
    }
    for (const t of tasks) list.append(renderTask(t));
    restoreFocus(was);
  }

  function schedule() {
    clearTimeout(timer);
    timer = null;
    if (tasks.some((t) => ACTIVE.has(t.status))) timer = setTimeout(refresh, POLL_MS);
  }

  async function refresh() {
    clearTimeout(timer);
    const gen = generation;
    list.setAttribute("aria-busy", "true");
    try {
      const res = await Api.listTasks({ limit: String(limit), ...(filter.value ? { status: filter.value } : {}) });
      if (gen !== generation) return; // answered after a log-out: not for this page any more
      moreBtn.hidden = !(res && res.pagination && res.pagination.has_more) || limit >= 100;
      const before = new Set(tasks.filter((t) => ACTIVE.has(t.status)).map((t) => t.task_id));
      tasks = (res && (res.tasks || res.items)) || (Array.isArray(res) ? res : []);
      notice.hidden = true;
      render();
      // a task that just settled has captured or released credits: the balance changed
      if (tasks.some((t) => before.has(t.task_id) && !ACTIVE.has(t.status))) onSettled();
    } catch (err) {
      if (gen !== generation || err.status === 401) return;
      showError(notice, err);
    } finally {
      list.setAttribute("aria-busy", "false");
    }
    schedule();
  }

  return {
    refresh,
    reset() {
      generation += 1;
      clearTimeout(timer);
      timer = null;
      tasks = [];
      filter.value = "";
      lastStatus.clear();
      live.textContent = "";
      hideNotice(notice);
      clear(list);
    },
    get tasks() {
      return tasks;
    },
  };
}
