// The task list: live status while anything is queued or running (poll every 2 s, stop when
// all tasks are settled), with cancel, delete and the way into the report.
import { Api } from "./api.js";
import { clear, formatDate, h } from "./dom.js";
import { showError } from "./notice.js";

const ACTIVE = new Set(["QUEUED", "PROCESSING"]);
const CANCELLABLE = new Set(["QUEUED", "PROCESSING"]);
const DONE_OK = new Set(["COMPLETED"]);
const POLL_MS = 2000;

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
  const refreshBtn = h("button", { type: "button", class: "link", text: "Refresh", onclick: () => refresh() });
  const moreBtn = h("button", { type: "button", class: "small", text: "Show more", hidden: true, onclick: () => {
    limit = Math.min(100, limit + 50); // the API pages at most 100 tasks
    refresh();
  } });
  clear(root).append(h("div", { class: "panel-head" }, h("h2", { id: "tasks-title", tabindex: "-1", text: "Your tasks" }), refreshBtn),
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
    const progress = Math.max(0, Math.min(100, Number(t.progress) || 0));
    const bar = h("progress", { max: "100", value: String(progress), "aria-label": `Progress ${progress}%` });
    const actions = h("div", { class: "task-actions" });
    if (DONE_OK.has(t.status) || t.downloads_available) {
      actions.append(h("button", { type: "button", class: "primary small", text: "View report",
        onclick: () => onOpenReport(t.task_id) }));
    }
    if (t.status === "FAILED" && t.error_code === "BILLING_INSUFFICIENT_CREDITS") {
      // the task keeps its uploaded files: once the wallet is topped up it can run as it is
      actions.append(h("button", { type: "button", class: "small", text: "Run again",
        onclick: () => act(Api.process, t) }));
    }
    if (CANCELLABLE.has(t.status)) {
      actions.append(h("button", { type: "button", class: "small", text: "Cancel",
        onclick: () => act(Api.cancel, t) }));
    }
    if (t.status !== "PROCESSING") {
      actions.append(h("button", { type: "button", class: "small danger", text: "Delete",
        onclick: () => {
          if (window.confirm("Delete this task and all its files?")) act(Api.remove, t);
        } }));
    }
    const err = t.error_message || t.error_code;
    const name = toolNames()[t.tool_id] || t.tool_id;
    const files = Object.values(t.inputs || {}).map((i) => i && i.filename).filter(Boolean).join(", ");
    return h("li", { class: "task", dataset: { taskId: t.task_id, status: t.status } },
      h("div", { class: "task-head" },
        h("strong", { class: "task-tool", text: name }), statusBadge(t.status)),
      h("p", { class: "task-meta", text: [formatDate(t.created_at), files, `#${String(t.task_id).slice(0, 8)}`]
        .filter(Boolean).join(" · ") }),
      ACTIVE.has(t.status) || t.status === "COMPLETED"
        ? h("div", { class: "task-progress" }, bar, h("span", { class: "pct", text: `${progress}%` }),
          h("span", { class: "task-stage", text: ACTIVE.has(t.status) ? progressOf(t) : "" }))
        : null,
      err && t.status !== "COMPLETED"
        ? h("p", { class: "task-error", role: "status" },
          t.error_code ? h("span", { class: "notice-code", text: `${t.error_code}: ` }) : null,
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
    if (!tasks.length) list.append(h("li", { class: "empty", text: "No tasks yet. Start one with the form." }));
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
    list.setAttribute("aria-busy", "true");
    try {
      const res = await Api.listTasks({ limit: String(limit) });
      moreBtn.hidden = !(res && res.pagination && res.pagination.has_more) || limit >= 100;
      const before = new Set(tasks.filter((t) => ACTIVE.has(t.status)).map((t) => t.task_id));
      tasks = (res && (res.tasks || res.items)) || (Array.isArray(res) ? res : []);
      notice.hidden = true;
      render();
      // a task that just settled has captured or released credits: the balance changed
      if (tasks.some((t) => before.has(t.task_id) && !ACTIVE.has(t.status))) onSettled();
    } catch (err) {
      showError(notice, err);
      if (err.status === 401) return;
    } finally {
      list.setAttribute("aria-busy", "false");
    }
    schedule();
  }

  return {
    refresh,
    stop() {
      clearTimeout(timer);
      timer = null;
    },
    get tasks() {
      return tasks;
    },
  };
}
