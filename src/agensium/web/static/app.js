// Entry point: wires sign-in, the new-analysis form, the task list and the report view.
// Routes: #/ (work area) and #/report/<task id>.
import { Api, onUnauthorized, session } from "./js/api.js";
import { createAuth } from "./js/auth.js";
import { $, clear, h } from "./js/dom.js";
import { createNewTaskPanel } from "./js/new_task.js";
import { renderReport } from "./js/report.js";
import { createTaskList } from "./js/tasks.js";

const views = {
  auth: $("#auth-view"),
  work: $("#work-view"),
  report: $("#report-view"),
};
const userbar = $("#userbar");
let balance = null;
let toolNames = {};
let agentNames = {};
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
  try {
    const w = await Api.wallet();
    const v = w && (w.balance ?? w.available ?? w.credits);
    if (typeof v === "number") balance = v;
  } catch {
    try {
      const me = await Api.me();
      if (me && typeof me.credits === "number") balance = me.credits;
    } catch {
      /* shown elsewhere */
    }
  }
  $("#credits").textContent = balance === null ? "" : `${balance.toLocaleString()} credits`;
  newTask.refreshCost();
}

function renderUserbar(email) {
  clear(userbar).append(
    h("span", { class: "user-email", text: email || "" }),
    h("span", { id: "credits", class: "credits" }),
    h("button", { type: "button", class: "small", text: "Log out", onclick: logout }));
  userbar.hidden = false;
}

function logout() {
  session.clear();
  started = false;
  tasks.stop();
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

if (session.token) startApp();
else {
  showView("auth");
  auth.show(/^#\/register/.test(location.hash) ? "register" : "login");
}
