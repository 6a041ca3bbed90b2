// DOM building and number / time formatting shared by every view.
//
// Rule of the page: data from spans only ever reaches the document as text (textContent,
// createTextNode, setAttribute) - never through innerHTML - so a prompt containing markup is shown,
// not run.  `el` is the only way views build elements.

const SVG_NS = "http://www.w3.org/2000/svg";

function applyAttrs(node, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.setAttribute("class", value);
    else if (key === "style" && typeof value === "object") Object.assign(node.style, value);
    else if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
    else if (key === "value" && "value" in node) node.value = String(value);
    else if (key === "checked" || key === "selected" || key === "disabled") node[key] = Boolean(value);
    else node.setAttribute(key, value === true ? "" : String(value));
  }
}

function appendChildren(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    node.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: el("td", {class: "num", "data-testid": "x"}, "text", otherNode). */
export function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  applyAttrs(node, attrs);
  appendChildren(node, children);
  return node;
}

/** An SVG element (same attribute rules as `el`). */
export function svg(tag, attrs, ...children) {
  const node = document.createElementNS(SVG_NS, tag);
  applyAttrs(node, attrs);
  appendChildren(node, children);
  return node;
}

export function clear(node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
}

export const DASH = "\u2014";

export function fmtInt(n) {
  if (n === null || n === undefined || Number.isNaN(n)) return DASH;
  return Math.round(n).toLocaleString("en-US");
}

/** Compact counts for chart axes: 950, 12.5k, 3.2M. */
export function fmtCompact(n) {
  if (n === null || n === undefined) return DASH;
  const a = Math.abs(n);
  if (a >= 1e9) return trimZero((n / 1e9).toFixed(1)) + "B";
  if (a >= 1e6) return trimZero((n / 1e6).toFixed(1)) + "M";
  if (a >= 1e4) return trimZero((n / 1e3).toFixed(1)) + "k";
  if (Number.isInteger(n)) return String(n);
  return trimZero(n.toFixed(a < 1 ? 2 : 1));
}

function trimZero(text) {
  return text.includes(".") ? text.replace(/\.?0+$/, "") : text;
}

export function fmtFloat(n, digits = 1) {
  if (n === null || n === undefined || Number.isNaN(n)) return DASH;
  return n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** Seconds as a human duration: 850 ms, 2.35 s, 3m 05s, 2h 10m. */
export function fmtDuration(s) {
  if (s === null || s === undefined || Number.isNaN(s)) return DASH;
  if (s < 1) return `${Math.round(s * 1000)} ms`;
  if (s < 60) return `${s.toFixed(2)} s`;
  if (s < 3600) {
    const m = Math.floor(s / 60);
    return `${m}m ${String(Math.floor(s - m * 60)).padStart(2, "0")}s`;
  }
  const h = Math.floor(s / 3600);
  return `${h}h ${String(Math.floor((s - h * 3600) / 60)).padStart(2, "0")}m`;
}

/** A bucket size in seconds as 1m, 5m, 1h, 6h, 1d. */
export function fmtBucket(s) {
  if (s % 86400 === 0) return `${s / 86400}d`;
  if (s % 3600 === 0) return `${s / 3600}h`;
  if (s % 60 === 0) return `${s / 60}m`;
  return `${s}s`;
}

/** Model names as tags: the first `max`, then "+N" (all of them in the tooltip). */
export function modelTags(models, max = 2) {
  const shown = models.slice(0, max).map((m) => el("span", { class: "tag", text: m }));
  if (models.length > max) shown.push(el("span", { class: "tag tag-more", title: models.join(", "), text: `+${models.length - max}` }));
  return shown;
}

/** USD: "$0.0123", "$12.40"; unknown (nothing priced) is a dash, never $0. */
export function fmtUsd(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return DASH;
  if (v !== 0 && Math.abs(v) < 0.0001) return `$${v.toFixed(6)}`;
  if (v !== 0 && Math.abs(v) < 0.01) return `$${v.toFixed(4)}`;
  return `$${v.toLocaleString("en-US", { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** A cost with its unpriced calls: "$4.12 + 3 unpriced". */
export function costCell(cost, unpriced) {
  const out = [el("span", { "data-testid": "cost", text: fmtUsd(cost) })];
  if (unpriced)
    out.push(el("span", { class: "flag", title: `${unpriced} call(s) could not be priced (unknown model or usage): not counted as $0`, text: ` +${unpriced} unpriced` }));
  return out;
}

export function fmtPct(ratio) {
  if (ratio === null || ratio === undefined || Number.isNaN(ratio)) return DASH;
  return `${(ratio * 100).toFixed(2)}%`;
}

function pad(n) {
  return String(n).padStart(2, "0");
}

/** ISO timestamp -> local "YYYY-MM-DD HH:MM:SS" (the page works in the browser's time zone). */
export function fmtTime(iso) {
  if (!iso) return DASH;
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  return (
    `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ` +
    `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
  );
}

export function fmtShortTime(ms, spanMs) {
  const d = new Date(ms);
  if (spanMs > 2 * 86400e3) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
  if (spanMs > 86400e3) return `${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}`;
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** A value for <input type="datetime-local"> from an ISO string (local time, minutes). */
export function toLocalInput(iso) {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return "";
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

/** Attribute values for display: strings as they are, everything else as JSON. */
export function fmtValue(value) {
  if (typeof value === "string") return value;
  try {
    return JSON.stringify(value);
  } catch (_err) {
    return String(value);
  }
}

/** Pretty-print text that holds JSON (captured messages); anything else unchanged. */
export function prettyMaybeJson(value) {
  if (typeof value !== "string") return JSON.stringify(value, null, 2);
  const t = value.trim();
  if (t.startsWith("[") || t.startsWith("{")) {
    try {
      return JSON.stringify(JSON.parse(t), null, 2);
    } catch (_err) {
      return value;
    }
  }
  return value;
}

/** A labelled figure card; `value` is shown, `raw` kept in data-value for tests and tooltips. */
export function metricCard(testid, label, value, raw, sub) {
  return el(
    "div",
    { class: "metric", "data-testid": testid, "data-value": raw === undefined || raw === null ? "" : String(raw) },
    el("div", { class: "metric-label", text: label }),
    el("div", { class: "metric-value", "data-testid": `${testid}-value`, text: value }),
    sub ? el("div", { class: "metric-sub", text: sub }) : null,
  );
}

export function kvList(pairs, testid) {
  return el(
    "dl",
    { class: "kv", "data-testid": testid },
    pairs
      .filter((p) => p)
      .map(([k, v]) => [el("dt", { text: k }), el("dd", {}, v instanceof Node ? v : String(v ?? DASH))]),
  );
}
