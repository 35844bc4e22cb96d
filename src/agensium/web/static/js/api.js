// The REST client. Every failure becomes an ApiError carrying the API's {detail, error_code, context},
// so the UI can always show the server's own words.

const TOKEN_KEY = "agensium.token";
const EMAIL_KEY = "agensium.email";

export class ApiError extends Error {
  constructor(status, detail, code, context) {
    super(detail);
    this.status = status;
    this.detail = detail;
    this.code = code || "";
    this.context = context || {};
  }
}

export const session = {
  get token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  get email() {
    return sessionStorage.getItem(EMAIL_KEY);
  },
  set(token, email) {
    sessionStorage.setItem(TOKEN_KEY, token);
    if (email) sessionStorage.setItem(EMAIL_KEY, email);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
    sessionStorage.removeItem(EMAIL_KEY);
  },
};

// Listeners told when the server rejects our token (expired or revoked): the app returns to log-in.
const unauthorizedListeners = new Set();
export function onUnauthorized(fn) {
  unauthorizedListeners.add(fn);
}

// The API lives at the origin root; the UI is mounted under /ui.
const BASE = window.AGENSIUM_API_BASE || "";

export async function errorFromResponse(res) {
  let body = null;
  try {
    body = await res.json();
  } catch {
    body = null;
  }
  if (body && typeof body === "object" && body.detail !== undefined) {
    const detail = typeof body.detail === "string" ? body.detail : JSON.stringify(body.detail);
    return new ApiError(res.status, detail, body.error_code, body.context);
  }
  return new ApiError(res.status, `${res.status} ${res.statusText || "request failed"}`, "HTTP_ERROR", {});
}

export async function api(path, { method = "GET", json, form, auth = true, signal } = {}) {
  const headers = { Accept: "application/json" };
  let body;
  if (json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(json);
  } else if (form !== undefined) {
    body = new URLSearchParams(form);
  }
  if (auth && session.token) headers.Authorization = `Bearer ${session.token}`;
  let res;
  try {
    res = await fetch(BASE + path, { method, headers, body, signal });
  } catch (err) {
    if (err && err.name === "AbortError") throw err;
    throw new ApiError(0, "The server cannot be reached. Check your connection and try again.", "NETWORK_ERROR");
  }
  if (!res.ok) {
    const err = await errorFromResponse(res);
    if (res.status === 401 && auth && session.token) {
      session.clear();
      for (const fn of unauthorizedListeners) fn(err);
    }
    throw err;
  }
  if (res.status === 204) return null;
  const text = await res.text();
  return text ? JSON.parse(text) : null;
}

export const Api = {
  register: (email, password, fullName) =>
    api("/auth/register", { method: "POST", json: { email, password, full_name: fullName || undefined }, auth: false }),
  verify: (email, code) => api("/auth/verify", { method: "POST", json: { email, code }, auth: false }),
  resendCode: (email) => api("/auth/resend-code", { method: "POST", json: { email }, auth: false }),
  forgotPassword: (email) => api("/auth/forgot-password", { method: "POST", json: { email }, auth: false }),
  resetPassword: (email, code, newPassword) =>
    api("/auth/reset-password", {
      method: "POST",
      json: { email, code, new_password: newPassword },
      auth: false,
    }),
  login: (email, password) =>
    api("/auth/login", { method: "POST", form: { username: email, password }, auth: false }),
  me: () => api("/auth/me"),
  tools: () => api("/tools"),
  wallet: () => api("/billing/wallet"),
  agentCosts: () => api("/billing/agent-costs"),
  createTask: (toolId, agents) => api("/tasks", { method: "POST", json: { tool_id: toolId, agents } }),
  listTasks: (params = {}) => api(`/tasks?${new URLSearchParams({ limit: "50", sort: "-created_at", ...params })}`),
  getTask: (id) => api(`/tasks/${encodeURIComponent(id)}`),
  uploadUrls: (id, files, hasParameters) =>
    api(`/tasks/${encodeURIComponent(id)}/upload-urls`, {
      method: "POST",
      json: { files, has_parameters: hasParameters },
    }),
  completeMultipart: (id, role, payload, url) =>
    api(url || `/tasks/${encodeURIComponent(id)}/uploads/${encodeURIComponent(role)}/complete`, {
      method: "POST",
      json: payload,
    }),
  process: (id) => api(`/tasks/${encodeURIComponent(id)}/process`, { method: "POST" }),
  cancel: (id) => api(`/tasks/${encodeURIComponent(id)}/cancel`, { method: "POST" }),
  remove: (id) => api(`/tasks/${encodeURIComponent(id)}`, { method: "DELETE" }),
  report: (id) => api(`/tasks/${encodeURIComponent(id)}/report`),
  downloads: (id) => api(`/tasks/${encodeURIComponent(id)}/downloads`),
};
