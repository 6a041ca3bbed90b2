// URL state, the JSON API client and widgets shared by the views.
//
// The whole view lives in the location hash - "#/sessions?window=1h&user=alice&order_by=-total_tokens",
// "#/session/<id>?...", "#/trace/<id>?session=<id>&span=<id>", "#/models?model=gpt-4o&window=7d" -
// so a reload or a shared link shows the same thing.  The server only ever serves index.html.

import { el, toLocalInput } from "./dom.js";

export const PRESETS = [
  ["15m", "15 min"],
  ["1h", "1 hour"],
  ["24h", "24 hours"],
  ["7d", "7 days"],
  ["30d", "30 days"],
];
export const DEFAULT_WINDOW = "24h";

export class ApiError extends Error {
  constructor(status, payload) {
    super((payload && payload.error) || `HTTP ${status}`);
    this.status = status;
    this.payload = payload || {};
    this.kind = this.payload.kind || "http";
  }
}

/** GET /api/<path>?<query>; resolves to the JSON payload, rejects with ApiError. */
export async function api(path, query) {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== undefined && v !== null && v !== "") qs.set(k, v);
  }
  const url = `/api/${path}${qs.toString() ? `?${qs}` : ""}`;
  let response;
  try {
    response = await fetch(url, { headers: { Accept: "application/json" } });
  } catch (err) {
    throw new ApiError(0, { error: `cannot reach the llm-agent ui server (${err.message}); is it still running?`, kind: "network" });
  }
  let payload = null;
  try {
    payload = await response.json();
  } catch (_err) {
    payload = { error: `unexpected response (HTTP ${response.status})` };
  }
  if (!response.ok) throw new ApiError(response.status, payload);
  return payload;
}

/** {view, id, params} from the hash. */
export function parseHash() {
  const raw = location.hash.replace(/^#/, "");
  const q = raw.indexOf("?");
  const path = q >= 0 ? raw.slice(0, q) : raw;
  const params = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : "");
  const parts = path.split("/").filter(Boolean);
  const view = parts[0] || "sessions";
  let id = null;
  if (parts.length > 1) {
    try {
      id = decodeURIComponent(parts.slice(1).join("/"));
    } catch (_err) {
      id = parts.slice(1).join("/");
    }
  }
  return { view, id, params };
}

export function hashFor(view, id, params) {
  const qs = params ? params.toString() : "";
  return `#/${view}${id !== null && id !== undefined ? `/${encodeURIComponent(id)}` : ""}${qs ? `?${qs}` : ""}`;
}

export function navigate(view, id, params) {
  const target = hashFor(view, id, params);
  if (location.hash === target) window.dispatchEvent(new HashChangeEvent("hashchange"));
  else location.hash = target;
}

/** A copy of `params` with `changes` applied (null / "" deletes a key). */
export function withParams(params, changes) {
  const next = new URLSearchParams(params);
  for (const [k, v] of Object.entries(changes)) {
    if (v === null || v === undefined || v === "") next.delete(k);
    else next.set(k, v);
  }
  return next;
}

/** The API's since/until for the window named in the URL. */
export function windowQuery(params) {
  const w = params.get("window") || DEFAULT_WINDOW;
  if (w === "custom") return { since: params.get("since") || DEFAULT_WINDOW, until: params.get("until") || "" };
  return { since: PRESETS.some(([k]) => k === w) ? w : DEFAULT_WINDOW, until: "" };
}

/** Only the window keys of `params` (carried between tabs). */
export function windowParams(params) {
  const out = new URLSearchParams();
  for (const k of ["window", "since", "until"]) if (params.get(k)) out.set(k, params.get(k));
  return out;
}

/** Preset buttons, a custom range and a refresh button; `onChange(newParams)` navigates. */
export function windowPicker(params, onChange, resolved) {
  const current = params.get("window") || DEFAULT_WINDOW;
  const customBox = el("div", { class: "custom-range", hidden: current !== "custom", "data-testid": "custom-range" });
  const since = el("input", { type: "datetime-local", "data-testid": "custom-since", "aria-label": "From",
    value: toLocalInput(params.get("since") || (resolved && resolved.since) || "") });
  const until = el("input", { type: "datetime-local", "data-testid": "custom-until", "aria-label": "To",
    value: toLocalInput(params.get("until") || (resolved && resolved.until) || new Date().toISOString()) });
  const apply = el("button", {
    class: "btn btn-primary btn-small",
    "data-testid": "custom-apply",
    text: "Apply",
    onclick: () => {
      if (!since.value) return since.focus();
      const s = new Date(since.value).toISOString();
      const u = until.value ? new Date(until.value).toISOString() : "";
      onChange(withParams(params, { window: "custom", since: s, until: u, offset: null }));
    },
  });
  customBox.append(since, el("span", { class: "muted", text: "to" }), until, apply);
  const buttons = PRESETS.map(([key, label]) =>
    el("button", {
      class: `seg${current === key ? " active" : ""}`,
      "data-testid": `window-${key}`,
      title: `Last ${label}`,
      text: key,
      onclick: () => onChange(withParams(params, { window: key, since: null, until: null, offset: null })),
    }),
  );
  const custom = el("button", {
    class: `seg${current === "custom" ? " active" : ""}`,
    "data-testid": "window-custom",
    text: "Custom",
    onclick: () => {
      customBox.hidden = !customBox.hidden;
    },
  });
  const refresh = el("button", {
    class: "btn btn-icon",
    title: "Refresh",
    "aria-label": "Refresh",
    "data-testid": "refresh",
    text: "\u21bb",
    onclick: () => onChange(new URLSearchParams(params)),
  });
  return el("div", { class: "window-picker", "data-testid": "window-picker" },
    el("div", { class: "segmented" }, buttons, custom), refresh, customBox);
}

/** A visible error box; filter errors keep their caret line, so they use monospace. */
export function errorBox(err) {
  const payload = (err && err.payload) || {};
  const mono = payload.kind === "filter";
  return el(
    "div",
    { class: "alert alert-error", role: "alert", "data-testid": "error-banner", "data-kind": payload.kind || "" },
    el("strong", { text: mono ? "Invalid filter expression" : "Request failed" }),
    mono ? el("pre", { class: "alert-pre", text: err.message }) : el("div", { text: err.message }),
  );
}

export function emptyState(title, detail, testid = "empty-state") {
  return el("div", { class: "empty", "data-testid": testid },
    el("div", { class: "empty-title", text: title }),
    detail ? el("div", { class: "empty-detail", text: detail }) : null);
}

/** The message for a sink that does not exist yet. */
export function missingSink(err) {
  return emptyState(
    "No data recorded yet",
    `${err.message}\n\nRecord some calls first, e.g. python -c "import llm_agent; llm_agent.init()" in your app, then press refresh.`,
  );
}

export function loading() {
  return el("div", { class: "loading", "data-testid": "loading", text: "Loading\u2026" });
}

export function breadcrumb(items) {
  const nodes = [];
  items.forEach(([label, href], i) => {
    if (i) nodes.push(el("span", { class: "crumb-sep", text: "\u203a" }));
    nodes.push(href ? el("a", { href, text: label, class: "crumb" }) : el("span", { class: "crumb current", text: label }));
  });
  return el("nav", { class: "breadcrumb", "data-testid": "breadcrumb" }, nodes);
}
