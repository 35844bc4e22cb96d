// "New analysis": tool and agent choice (pipeline order, costs, total vs wallet), parameter forms
// from each agent's schema, one file picker per input role, then create → upload → process.
import { Api, ApiError } from "./api.js";
import { clear, formatBytes, h, nextId } from "./dom.js";
import { hideNotice, showError, showInfo } from "./notice.js";
import { buildParamForm } from "./schema_form.js";
import { contentTypeFor, extensionOf, putParameters, uploadFile } from "./upload.js";

const ROLE_LABELS = { primary: "Data file", baseline: "Baseline file", schema: "Data contract" };

function roleLabel(role) {
  return ROLE_LABELS[role] || role.charAt(0).toUpperCase() + role.slice(1);
}

function toolsFrom(payload) {
  if (Array.isArray(payload)) return payload;
  return (payload && (payload.tools || payload.items)) || [];
}

// An administrator can change agent costs; the billing service knows the current ones.
async function applyCurrentCosts(tools) {
  let costs;
  try {
    costs = await Api.agentCosts();
  } catch {
    return; // no billing service: the catalog's costs stand
  }
  const byId = new Map(((costs && costs.agent_costs) || []).map((c) => [c.agent_id, c.cost]));
  for (const t of tools) {
    for (const a of t.agents || []) if (byId.has(a.agent_id)) a.cost = byId.get(a.agent_id);
  }
}

export function createNewTaskPanel(root, { onSubmitted, getBalance }) {
  let tools = [];
  let tool = null;
  let agentRows = [];
  let fileRows = [];
  let busy = false;

  const toolField = h("fieldset", { class: "tool-choice" }, h("legend", { text: "1. Choose a tool" }));
  const agentField = h("fieldset", { class: "agent-choice" }, h("legend", { text: "2. Choose agents" }));
  const costLine = h("p", { class: "cost-line", "aria-live": "polite" });
  const fileField = h("fieldset", { class: "file-choice" }, h("legend", { text: "3. Choose files" }));
  const notice = h("div", { class: "notice-area", hidden: true, tabindex: "-1" });
  const progressArea = h("div", { class: "upload-progress", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary", text: "Upload and run" });
  const form = h("form", { class: "new-task", novalidate: true, "aria-label": "New analysis" },
    toolField, agentField, costLine, fileField, notice, progressArea, h("div", { class: "actions" }, submit));
  form.addEventListener("submit", (e) => {
    e.preventDefault();
    run();
  });
  clear(root).append(h("h2", { id: "new-task-title", text: "New analysis" }), form);

  function selectedAgents() {
    return agentRows.filter((r) => r.box.checked && !r.box.disabled);
  }

  function updateCost() {
    const total = selectedAgents().reduce((sum, r) => sum + (Number(r.agent.cost) || 0), 0);
    const balance = getBalance();
    clear(costLine).append(h("span", { class: "total", dataset: { total: String(total) } },
      `Total: ${total.toLocaleString()} credits`));
    if (balance !== null && balance !== undefined) {
      costLine.append(" · ", h("span", { class: "balance", text: `Balance: ${Number(balance).toLocaleString()} credits` }));
      if (total > balance) costLine.append(" ", h("strong", { class: "warn", text: "Not enough credits for this run." }));
    }
  }

  function chosenFiles() {
    const out = {};
    for (const r of fileRows) if (r.input.files && r.input.files[0]) out[r.spec.role] = r.input.files[0];
    return out;
  }

  // An agent that needs an optional input (drift needs a baseline) is only offered once it is chosen.
  function updateNeeds() {
    const have = new Set(Object.keys(chosenFiles()));
    for (const r of agentRows) {
      const missing = (r.agent.needs || []).filter((role) => role !== "primary" && !have.has(role));
      const unavailable = r.agent.available === false;
      const disable = unavailable || missing.length > 0;
      if (disable && !r.box.disabled) r.box.checked = false;
      if (!disable && r.box.disabled && !r.userUnchecked) r.box.checked = true;
      r.box.disabled = disable;
      r.note.textContent = unavailable
        ? "Not installed on this server."
        : missing.length ? `Needs a ${missing.map(roleLabel).map((s) => s.toLowerCase()).join(", ")}.` : "";
      r.note.hidden = !r.note.textContent;
    }
    updateCost();
  }

  function renderAgents() {
    clear(agentField).append(h("legend", { text: "2. Choose agents (they run in this order)" }));
    agentRows = (tool.agents || []).map((agent, i) => {
      const id = nextId("agent");
      const box = h("input", { type: "checkbox", id, value: agent.agent_id, name: "agents",
        "aria-describedby": `${id}-cost ${id}-desc ${id}-note` });
      box.checked = agent.available !== false;
      const note = h("span", { class: "agent-note", id: `${id}-note`, hidden: true });
      const params = buildParamForm(agent.parameters_schema || {}, `${agent.agent_id}-p`);
      const row = { agent, box, note, params, userUnchecked: false };
      box.addEventListener("change", () => {
        row.userUnchecked = !box.checked;
        updateCost();
      });
      const advanced = params.count
        ? h("details", { class: "advanced" },
          h("summary", { text: `Advanced settings (${params.count})` }), params.element)
        : null;
      row.el = h("div", { class: "agent-row", dataset: { agentId: agent.agent_id } },
        h("div", { class: "agent-head" },
          h("label", { for: id }, box, " ",
            h("span", { class: "agent-order", text: `${agent.order ?? i + 1}.` }), " ",
            h("span", { class: "agent-name", text: agent.name || agent.agent_id })),
          h("span", { class: "cost", id: `${id}-cost`, text: `${agent.cost} credits` })),
        agent.description ? h("p", { class: "agent-desc", id: `${id}-desc`, text: agent.description }) : null,
        note, advanced);
      agentField.append(row.el);
      return row;
    });
  }

  function renderFiles() {
    clear(fileField).append(h("legend", { text: "3. Choose files" }));
    fileRows = (tool.files || []).map((spec) => {
      const id = nextId("file");
      const hintId = `${id}-hint`;
      const errId = `${id}-err`;
      const formats = spec.formats || [];
      const input = h("input", {
        type: "file", id, name: spec.role, accept: formats.map((f) => `.${f}`).join(","),
        required: spec.required, "aria-describedby": `${hintId} ${errId}`, dataset: { role: spec.role },
      });
      const err = h("p", { class: "field-error", id: errId, role: "alert", hidden: true });
      const hint = h("p", { class: "field-hint", id: hintId, text:
        [spec.description, formats.length ? `Formats: ${formats.join(", ")}` : "",
          spec.max_bytes ? `up to ${formatBytes(spec.max_bytes)}` : ""].filter(Boolean).join(" · ") });
      const row = { spec, input, err, problem: "" };
      input.addEventListener("change", () => {
        checkFile(row);
        updateNeeds();
      });
      row.el = h("div", { class: "field file-row" },
        h("label", { for: id }, roleLabel(spec.role), " ",
          spec.required ? h("span", { class: "req", text: "(required)" }) : h("span", { class: "opt", text: "(optional)" })),
        input, hint, err, spec.role === "primary" ? readingOptions() : null);
      fileField.append(row.el);
      return row;
    });
  }

  // How to read the primary file when the defaults guess wrong: parameters.json's "input" key.
  let readSheet = null;
  let readHeader = null;
  function readingOptions() {
    const sheetId = nextId("sheet");
    const headerId = nextId("header");
    readSheet = h("input", { type: "text", id: sheetId, name: "sheet", placeholder: "first sheet",
      autocomplete: "off" });
    readHeader = h("input", { type: "number", id: headerId, name: "header_row", min: "1", max: "10000", step: "1",
      placeholder: "found from the file" });
    return h("details", { class: "advanced reading-options" },
      h("summary", { text: "Reading options" }),
      h("div", { class: "field" }, h("label", { for: sheetId, text: "Excel sheet (name or 0-based number)" }), readSheet),
      h("div", { class: "field" }, h("label", { for: headerId, text: "Header row (1 = first row)" }), readHeader,
        h("p", { class: "field-hint", text: "By default title, note and blank rows above the header are skipped." })));
  }

  function inputOptions(problems) {
    const out = {};
    const sheet = readSheet ? readSheet.value.trim() : "";
    if (sheet) out.sheet = sheet;
    const header = readHeader ? readHeader.value.trim() : "";
    if (header) {
      const n = Number(header);
      if (!Number.isInteger(n) || n < 1 || n > 10000) problems.push("The header row is a whole number from 1 to 10000.");
      else out.header_row = n;
    }
    return out;
  }

  function checkFile(row) {
    const file = row.input.files && row.input.files[0];
    let problem = "";
    if (file) {
      const ext = extensionOf(file.name);
      const formats = row.spec.formats || [];
      if (formats.length && !formats.includes(ext)) {
        problem = `"${file.name}" is not an accepted format (${formats.join(", ")}).`;
      } else if (row.spec.max_bytes && file.size > row.spec.max_bytes) {
        problem = `"${file.name}" is ${formatBytes(file.size)}; the limit is ${formatBytes(row.spec.max_bytes)}.`;
      } else if (file.size === 0) {
        problem = `"${file.name}" is empty.`;
      }
    }
    row.problem = problem;
    row.err.textContent = problem;
    row.err.hidden = !problem;
    row.input.setAttribute("aria-invalid", problem ? "true" : "false");
    return problem;
  }

  function selectTool(toolId) {
    tool = tools.find((t) => t.tool_id === toolId) || tools[0];
    submit.textContent = `Upload and run ${tool.name || tool.tool_id}`;
    renderAgents();
    renderFiles();
    updateNeeds();
    hideNotice(notice);
    clear(progressArea);
  }

  function renderTools() {
    clear(toolField).append(h("legend", { text: "1. Choose a tool" }));
    tools.forEach((t, i) => {
      const id = nextId("tool");
      const radio = h("input", { type: "radio", name: "tool", id, value: t.tool_id });
      radio.checked = i === 0;
      radio.addEventListener("change", () => selectTool(t.tool_id));
      toolField.append(h("label", { for: id, class: "tool-option" }, radio,
        h("span", { class: "tool-text" }, h("strong", { text: t.name || t.tool_id }),
          h("span", { class: "tool-desc", text: t.description || "" }))));
    });
  }

  function progressRow(label, total) {
    const labelId = nextId("upl");
    const bar = h("progress", { max: "100", value: "0", "aria-labelledby": labelId });
    const pct = h("span", { class: "pct", text: "0%" });
    const row = h("div", { class: "progress-row" }, h("span", { class: "progress-label", id: labelId, text: label }), bar, pct);
    progressArea.append(row);
    return (loaded) => {
      const p = total ? Math.min(100, Math.round((loaded / total) * 100)) : 100;
      bar.value = p;
      bar.setAttribute("aria-valuetext", `${p}%`);
      pct.textContent = `${p}%`;
    };
  }

  function validate() {
    const problems = [];
    const agents = selectedAgents();
    if (!agents.length) problems.push("Choose at least one agent.");
    for (const r of fileRows) {
      if (r.spec.required && !(r.input.files && r.input.files[0])) problems.push(`Choose the ${roleLabel(r.spec.role).toLowerCase()}.`);
      const p = checkFile(r);
      if (p) problems.push(p);
    }
    const params = {};
    const input = inputOptions(problems);
    if (Object.keys(input).length) params.input = input;
    for (const r of agents) {
      const { values, errors } = r.params.collect();
      for (const e of errors) problems.push(`${r.agent.name}: ${e}`);
      if (Object.keys(values).length) params[r.agent.agent_id] = values;
    }
    return { problems, agents, params };
  }

  async function run() {
    if (busy) return;
    const { problems, agents, params } = validate();
    if (problems.length) {
      showError(notice, { detail: problems[0], context: {} });
      if (problems.length > 1) notice.firstChild.append(h("ul", {}, problems.slice(1).map((p) => h("li", { text: p }))));
      notice.focus?.();
      return;
    }
    busy = true;
    submit.disabled = true;
    hideNotice(notice);
    clear(progressArea);
    let task = null;
    try {
      showInfo(notice, "Creating the task…");
      task = await Api.createTask(tool.tool_id, agents.map((r) => r.agent.agent_id));
      const files = chosenFiles();
      const specs = {};
      for (const [role, file] of Object.entries(files)) {
        specs[role] = { filename: file.name, content_type: contentTypeFor(file.name), size_bytes: file.size };
      }
      const hasParams = Object.keys(params).length > 0;
      const urls = await Api.uploadUrls(task.task_id, specs, hasParams);
      showInfo(notice, "Uploading…");
      const uploads = urls.uploads || {};
      const jobs = Object.entries(files).map(([role, file]) => {
        const plan = uploads[role];
        if (!plan) throw new ApiError(0, `The server gave no upload link for the ${role} file.`, "UPLOAD_FAILED");
        const onProgress = progressRow(`${roleLabel(role)}: ${file.name} (${formatBytes(file.size)})`, file.size);
        return uploadFile(task.task_id, role, file, plan, onProgress);
      });
      if (hasParams) {
        if (!uploads.parameters) throw new ApiError(0, "The server gave no upload link for the parameters.", "UPLOAD_FAILED");
        jobs.push(putParameters(uploads.parameters, params));
      }
      await Promise.all(jobs);
      showInfo(notice, "Starting the analysis…");
      await Api.process(task.task_id);
      showInfo(notice, "Uploaded and started: follow the analysis under Your tasks.");
      for (const r of fileRows) r.input.value = "";
      updateNeeds();
      onSubmitted(task.task_id);
    } catch (err) {
      showError(notice, err);
      if (task) onSubmitted(task.task_id, err);
    } finally {
      busy = false;
      submit.disabled = false;
    }
  }

  return {
    async load() {
      try {
        tools = toolsFrom(await Api.tools());
      } catch (err) {
        showError(notice, err);
        return [];
      }
      await applyCurrentCosts(tools);
      if (!tools.length) {
        showError(notice, { detail: "The server offers no tools." });
        return tools;
      }
      renderTools();
      selectTool(tools[0].tool_id);
      return tools;
    },
    refreshCost: updateCost,
  };
}
