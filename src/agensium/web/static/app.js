// Entry point: wires sign-in, the new-analysis form, the task list and the report view.
// Routes: #/ (work area) and #/report/<task id>.
import { Api, onUnauthorized, session } from "./js/api.js";
import { createAuth } from "./js/auth.js";
import { $, clear, formatCell, formatDate, h, humanize } from "./js/dom.js";
import { createNewTaskPanel } from "./js/new_task.js";
import { renderReport } from "./js/report.js";
import { errorBox } from "./js/notice.js";
import { createTaskList } from "./js/tasks.js";

const views = {
  auth: $("#auth-view"),
  work: $("#work-view"),
  report: $("#report-view"),
};
const userbar = $("#userbar");
let balance = null;
const toolNames = {};
const agentNames = {};
let started = false;

function showView(name) {
  for (const [n, el] of Object.entries(views)) el.hidden = n !== name;
}

const auth = createAuth(views.auth, { onLoggedIn: () => startApp() });
const tasks = createTaskList($("#tasks"), {
  onOpenReport: (id) => {
    location.hash = `#/report/${encodeURIComponent(id)}`;
  },
  toolNames: () => toolNames,
  agentNames: () => agentNames,
  onSettled: () => refreshBalance(),
});
const newTask = createNewTaskPanel($("#new-task"), {
  onSubmitted: () => {
    tasks.refresh();
    refreshBalance();
  },
  getBalance: () => balance,
});

async function refreshBalance() {
  let held = 0;
  let recent = null;
  try {
    const w = await Api.wallet();
    const v = w && (w.balance ?? w.available ?? w.credits);
    if (typeof v === "number") balance = v;
    held = (w && Number(w.held)) || 0;
    recent = (w && w.recent_transactions) || [];
  } catch {
    try {
      const me = await Api.me();
      if (me && typeof me.credits === "number") balance = me.credits;
    } catch {
      /* shown elsewhere */
    }
  }
  $("#credits").textContent = balance === null ? ""
    : `${balance.toLocaleString()} credits${held ? ` (${held.toLocaleString()} held)` : ""}`;
  renderLedger(recent);
  newTask.refreshCost();
}

// The wallet's latest movements (holds, charges, releases, grants), behind the balance.
function renderLedger(entries) {
  const panel = $("#ledger");
  if (!panel) return;
  clear(panel);
  if (entries === null) {
    panel.append(h("p", { class: "muted", text: "No billing history on this server." }));
    return;
  }
  if (!entries.length) {
    panel.append(h("p", { class: "muted", text: "No credit movements yet." }));
    return;
  }
  panel.append(h("table", {}, h("caption", { text: "Recent credit movements" }),
    h("thead", {}, h("tr", {}, ["When", "What", "Change", "Balance"].map((c) => h("th", { scope: "col", text: c })))),
    h("tbody", {}, entries.map((e) => h("tr", {},
      h("td", { text: formatDate(e.created_at) }),
      h("td", { text: [humanize(String(e.kind || "").toLowerCase()),
        agentNames[e.agent_id] || e.agent_id || toolNames[e.tool_id] || e.tool_id,
        e.reason && !(e.agent_id && e.reason.includes(e.agent_id)) ? e.reason : ""].filter(Boolean).join(" · ") }),
      // a capture moves held credits (balance unchanged): show what it charged
      h("td", { class: "num", text: e.delta ? `${e.delta > 0 ? "+" : ""}${formatCell(e.delta)}`
        : e.amount ? `${formatCell(e.amount)} of hold` : "0" }),
      h("td", { class: "num", text: formatCell(e.balance_after) }))))));
}

function renderUserbar(email) {
  clear(userbar).append(
    h("span", { class: "user-email", text: email || "" }),
    h("details", { class: "wallet" }, h("summary", { id: "credits", class: "credits" }),
      h("div", { id: "ledger", class: "wallet-panel" })),
    h("button", { type: "button", class: "small", text: "Log out", onclick: logout }));
  userbar.hidden = false;
}

function logout() {
  session.clear();
  started = false;
  tasks.reset(); // no trace of this user's tasks or reports stays in the page
  clear(views.report);
  userbar.hidden = true;
  location.hash = "#/";
  showView("auth");
  auth.show("login");
}

onUnauthorized(() => {
  logout();
  auth.message("Your session has ended. Please log in again.");
});

async function route() {
  if (!session.token) return;
  const m = /^#\/report\/(.+)$/.exec(location.hash);
  if (m) {
    showView("report");
    await renderReport(views.report, decodeURIComponent(m[1]), {
      agentNames: () => agentNames,
      onBack: () => {
        location.hash = "#/";
      },
    });
  } else {
    showView("work");
  }
}

async function startApp() {
  if (started) return route();
  started = true;
  renderUserbar(session.email);
  showView("work");
  try {
    const me = await Api.me();
    if (me) {
      $(".user-email").textContent = me.full_name || me.email || session.email || "";
      if (typeof me.credits === "number") balance = me.credits;
    }
  } catch {
    if (!session.token) return;
  }
  refreshBalance();
  try {
    const catalog = await newTask.load();
    for (const t of catalog) {
      toolNames[t.tool_id] = t.name;
      for (const a of t.agents || []) agentNames[a.agent_id] = a.name;
    }
  } catch (err) {
    // the form shows its own errors; keep the rest of the app usable
    console.warn(err);
  }
  tasks.refresh();
  route();
}

window.addEventListener("hashchange", route);

// The wallet pop-over closes with Escape or a click elsewhere, like any menu.
document.addEventListener("keydown", (e) => {
  const open = document.querySelector(".wallet[open]");
  if (e.key === "Escape" && open) {
    open.open = false;
    open.querySelector("summary").focus();
  }
});
document.addEventListener("click", (e) => {
  const open = document.querySelector(".wallet[open]");
  if (open && !open.contains(e.target)) open.open = false;
});

// Anything that slips past a form's own error handling is still shown, with the server's words.
window.addEventListener("unhandledrejection", (event) => {
  event.preventDefault();
  const box = $("#global-notice");
  box.hidden = false;
  clear(box).append(errorBox(event.reason), h("button", { type: "button", class: "small", text: "Dismiss",
    onclick: () => {
      box.hidden = true;
    } }));
});

if (session.token) startApp();
else {
  showView("auth");
  auth.show(/^#\/register/.test(location.hash) ? "register" : "login");
}
