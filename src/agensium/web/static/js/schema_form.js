// Parameter forms generated from an agent's JSON Schema (pydantic), so the UI never hard-codes an
// agent's options. Only values that differ from the schema default are collected, so
// parameters.json stays minimal and the server's defaults stay authoritative.
import { h, humanize, nextId } from "./dom.js";

function resolveRef(root, node) {
  let cur = node;
  for (let i = 0; cur && cur.$ref && i < 20; i += 1) {
    const path = cur.$ref.replace(/^#\//, "").split("/");
    let target = root;
    for (const p of path) target = target ? target[p] : undefined;
    const { $ref, ...rest } = cur;
    cur = { ...(target || {}), ...rest };
  }
  return cur || {};
}

// Flatten the shapes pydantic emits (anyOf with null for Optional, allOf with one $ref, const
// unions for enums) into {type, enum, nullable, items, ...}.
export function normalize(root, node) {
  let n = resolveRef(root, node);
  if (n.allOf && n.allOf.length === 1) {
    const { allOf, ...rest } = n;
    n = { ...resolveRef(root, allOf[0]), ...rest };
  }
  let nullable = false;
  const variants = n.anyOf || n.oneOf;
  if (variants) {
    const parts = variants.map((v) => resolveRef(root, v));
    const nonNull = parts.filter((p) => p.type !== "null");
    nullable = nonNull.length < parts.length;
    const { anyOf, oneOf, ...rest } = n;
    if (nonNull.length === 1) {
      n = { ...normalize(root, nonNull[0]), ...rest };
    } else if (nonNull.length > 1 && nonNull.every((p) => p.const !== undefined || p.enum)) {
      n = { ...rest, enum: nonNull.flatMap((p) => (p.enum ? p.enum : [p.const])) };
    } else {
      n = { ...rest, type: "json" };
    }
  }
  if (n.const !== undefined && !n.enum) n = { ...n, enum: [n.const] };
  if (Array.isArray(n.type)) {
    nullable = nullable || n.type.includes("null");
    const t = n.type.filter((x) => x !== "null");
    n = { ...n, type: t.length === 1 ? t[0] : "json" };
  }
  if (!n.type && n.enum) n = { ...n, type: typeof n.enum[0] === "number" ? "number" : "string" };
  if (n.type === "array") n = { ...n, items: normalize(root, n.items || {}) };
  return { ...n, nullable: nullable || n.nullable === true };
}

function same(a, b) {
  return JSON.stringify(a) === JSON.stringify(b);
}

function isEmpty(v) {
  return v === null || v === undefined || v === "" || (Array.isArray(v) && v.length === 0);
}

function parseScalar(type, text) {
  if (type === "integer" || type === "number") {
    const v = Number(text);
    if (text.trim() === "" || Number.isNaN(v)) throw new Error(`"${text}" is not a number`);
    if (type === "integer" && !Number.isInteger(v)) throw new Error(`"${text}" is not a whole number`);
    return v;
  }
  if (type === "boolean") {
    if (/^(true|yes|1)$/i.test(text)) return true;
    if (/^(false|no|0)$/i.test(text)) return false;
    throw new Error(`"${text}" is not true/false`);
  }
  return text;
}

// Python and JavaScript regexes mostly agree; where the browser cannot compile one, the server decides.
function safeTest(pattern, text) {
  try {
    return new RegExp(pattern, "u").test(text);
  } catch {
    return true;
  }
}

// A hint of the expected JSON shape, e.g. {"column": "numeric"} for a column -> type map.
function jsonExample(root, n) {
  if (n.type !== "object" || !n.additionalProperties || n.additionalProperties === true) return "JSON";
  const v = normalize(root, n.additionalProperties);
  let example = "value";
  if (v.enum) example = v.enum[0];
  else if (v.type === "integer" || v.type === "number") example = 1;
  else if (v.type === "boolean") example = true;
  else if (v.type === "array") example = ["value"];
  else if (v.type === "object" || v.properties) example = v.properties ? Object.fromEntries(Object.keys(v.properties).map((k) => [k, null])) : {};
  return JSON.stringify({ column: example });
}

function labelled(label, fn) {
  try {
    return fn();
  } catch (err) {
    throw new Error(`${label}: ${err.message}`);
  }
}

function boundsText(n) {
  const parts = [];
  if (n.minimum !== undefined) parts.push(`≥ ${n.minimum}`);
  if (n.exclusiveMinimum !== undefined) parts.push(`> ${n.exclusiveMinimum}`);
  if (n.maximum !== undefined) parts.push(`≤ ${n.maximum}`);
  if (n.exclusiveMaximum !== undefined) parts.push(`< ${n.exclusiveMaximum}`);
  return parts.join(", ");
}

// One field: returns {row, read()} where read() gives {value} or throws an Error with a message.
function buildField(root, name, rawNode, idPrefix) {
  let n = normalize(root, rawNode);
  const id = nextId(idPrefix);
  const hintId = `${id}-hint`;
  const label = n.title && n.title !== humanize(name) ? n.title : humanize(name);
  const hasDefault = Object.prototype.hasOwnProperty.call(n, "default");
  const def = hasDefault ? n.default : undefined;
  const hints = [n.description, boundsText(n)].filter(Boolean).join(" · ");
  const hint = hints ? h("p", { class: "field-hint", id: hintId, text: hints }) : null;
  const describedBy = hint ? hintId : undefined;
  let control;
  let read;

  if (n.type === "boolean" && (n.nullable || def === null || def === undefined)) {
    // a checkbox cannot say "not set": an optional flag is a three-way choice
    n = { ...n, type: "string", enum: [null, true, false] };
  }
  if (n.type === "boolean") {
    control = h("input", { type: "checkbox", id, name, "aria-describedby": describedBy });
    control.checked = def === true;
    read = () => control.checked;
    const row = h("div", { class: "field field-check" }, h("label", { for: id }, control, " ", label), hint);
    return { name, row, read, def, hasDefault };
  }

  if (n.enum && n.type !== "array") {
    control = h("select", { id, name, "aria-describedby": describedBy });
    if ((n.nullable || !hasDefault) && !n.enum.includes(null)) control.append(h("option", { value: "", text: "(none)" }));
    n.enum.forEach((v, i) => {
      const opt = h("option", { value: String(i), text: v === null ? "(not set)" : String(v) });
      if (same(v, def)) opt.selected = true;
      control.append(opt);
    });
    read = () => (control.value === "" ? null : n.enum[Number(control.value)]);
  } else if (n.type === "integer" || n.type === "number") {
    const min = n.minimum ?? n.exclusiveMinimum;
    const max = n.maximum ?? n.exclusiveMaximum;
    control = h("input", {
      type: "number", id, name, inputmode: n.type === "integer" ? "numeric" : "decimal",
      step: n.type === "integer" ? "1" : "any", min, max, "aria-describedby": describedBy,
    });
    if (def !== undefined && def !== null) control.value = String(def);
    read = () => {
      const text = control.value.trim();
      if (text === "") {
        if (n.nullable || def === null) return null;
        if (hasDefault) return def;
        throw new Error(`${label}: a value is required`);
      }
      const v = labelled(label, () => parseScalar(n.type, text));
      if (n.minimum !== undefined && v < n.minimum) throw new Error(`${label}: must be ≥ ${n.minimum}`);
      if (n.maximum !== undefined && v > n.maximum) throw new Error(`${label}: must be ≤ ${n.maximum}`);
      if (n.exclusiveMinimum !== undefined && v <= n.exclusiveMinimum) {
        throw new Error(`${label}: must be > ${n.exclusiveMinimum}`);
      }
      if (n.exclusiveMaximum !== undefined && v >= n.exclusiveMaximum) {
        throw new Error(`${label}: must be < ${n.exclusiveMaximum}`);
      }
      return v;
    };
  } else if (n.type === "array" && n.items && n.items.enum) {
    const chosen = new Set((def || []).map((v) => JSON.stringify(v)));
    const boxes = n.items.enum.map((v) => {
      const bid = nextId(idPrefix);
      const box = h("input", { type: "checkbox", id: bid, value: JSON.stringify(v) });
      box.checked = chosen.has(JSON.stringify(v));
      return { box, el: h("label", { for: bid, class: "multi-option" }, box, " ", String(v)) };
    });
    control = h("fieldset", { class: "multi", id, "aria-describedby": describedBy },
      h("legend", { class: "sr-only", text: label }), boxes.map((b) => b.el));
    read = () => boxes.filter((b) => b.box.checked).map((b) => JSON.parse(b.box.value));
  } else if (n.type === "array" && ["string", "integer", "number", "boolean"].includes(n.items.type)) {
    control = h("input", {
      type: "text", id, name, placeholder: "comma-separated list", "aria-describedby": describedBy,
    });
    if (Array.isArray(def)) control.value = def.join(", ");
    read = () => {
      const text = control.value.trim();
      if (text === "") return n.nullable && def === null ? null : [];
      const parts = text.split(",").map((p) => p.trim()).filter((p) => p !== "");
      return labelled(label, () => parts.map((p) => parseScalar(n.items.type, p)));
    };
  } else if (n.type === "string") {
    const long = n.maxLength === undefined || n.maxLength > 200;
    control = h("input", {
      type: "text", id, name, maxlength: n.maxLength, minlength: n.minLength,
      pattern: n.pattern, "aria-describedby": describedBy, class: long ? "wide" : undefined,
    });
    if (typeof def === "string") control.value = def;
    read = () => {
      const text = control.value;
      if (text === "" && (n.nullable || def === null)) return null;
      if (n.minLength !== undefined && text.length < n.minLength) {
        throw new Error(`${label}: at least ${n.minLength} characters`);
      }
      if (n.pattern && text !== "" && !safeTest(n.pattern, text)) throw new Error(`${label}: must match ${n.pattern}`);
      return text;
    };
  } else {
    // objects, mixed unions: edited as JSON, still validated by the server against the schema
    control = h("textarea", { id, name, rows: "3", spellcheck: "false", "aria-describedby": describedBy, class: "code",
      placeholder: jsonExample(root, n) });
    if (def !== undefined) control.value = JSON.stringify(def, null, 0);
    read = () => {
      const text = control.value.trim();
      if (text === "") return hasDefault ? def : null;
      try {
        return JSON.parse(text);
      } catch {
        throw new Error(`${label}: not valid JSON`);
      }
    };
  }
  const row = h("div", { class: "field" }, h("label", { for: id, text: label }), control, hint);
  return { name, row, read, def, hasDefault };
}

// Build the form for one agent. `collect()` returns {values, errors}: values holds only changed fields.
export function buildParamForm(schema, idPrefix = "p") {
  const root = schema || {};
  const props = root.properties || {};
  const required = new Set(root.required || []);
  const fields = Object.entries(props).map(([name, node]) => ({
    ...buildField(root, name, node, idPrefix), optional: !required.has(name),
  }));
  const element = h("div", { class: "param-form" }, fields.map((f) => f.row));
  function collect() {
    const values = {};
    const errors = [];
    for (const f of fields) {
      try {
        const v = f.read();
        // a default made by a factory is not in the schema: an untouched optional field is not sent
        if (f.hasDefault ? !same(v, f.def) : !(f.optional && isEmpty(v))) values[f.name] = v;
      } catch (err) {
        errors.push(err.message);
      }
    }
    return { values, errors };
  }
  return { element, collect, count: fields.length };
}
