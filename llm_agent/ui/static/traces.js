// The Trace Explorer: every trace in the time window, with or without a session, filtered with the
// trace vocabulary of the filter language, sorted, paged; a row opens the trace's waterfall.

import { DASH, el, fmtDuration, fmtInt, fmtTime, modelTags } from "./dom.js";
import {
  api,
  emptyState,
  errorBox,
  hashFor,
  loading,
  missingSink,
  navigate,
  windowPicker,
  windowQuery,
  withParams,
} from "./state.js";

/** The keyword filters of the analysis API's traces(): [param, label, placeholder]. */
const TEXT_FILTERS = [
  ["session_id", "Session ID", "exact session ID"],
  ["user", "User", "user ID"],
  ["model", "Model", "a model the trace called"],
  ["name", "Name", "root span name"],
];
const RANGE_FILTERS = [
  ["Duration (30s, 2m)", "min_duration_s", "max_duration_s", "text"],
  ["Total tokens", "min_total_tokens", "max_total_tokens", "number"],
];
export const TRACE_FILTER_KEYS = [
  ...TEXT_FILTERS.map(([k]) => k),
  ...RANGE_FILTERS.flatMap(([, min, max]) => [min, max]),
  "has_error",
  "where",
];
const CHIP_LABELS = {
  session_id: "Session ID =",
  user: "User =",
  model: "Model =",
  name: "Name =",
  min_duration_s: "Duration \u2265",
  max_duration_s: "Duration \u2264",
  min_total_tokens: "Total tokens \u2265",
  max_total_tokens: "Total tokens \u2264",
  has_error: "Errors",
  where: "Where",
};
const COLUMNS = [
  { key: "trace_id", label: "Trace ID", sort: "trace_id" },
  { key: "name", label: "Name", sort: "name" },
  { key: "session_id", label: "Session", sort: "session_id" },
  { key: "user_id", label: "User", sort: "user" },
  { key: "start", label: "Start", sort: "start" },
  { key: "duration_s", label: "Duration", sort: "duration_s", num: true },
  { key: "spans", label: "Spans", sort: "spans", num: true },
  { key: "llm_calls", label: "LLM calls", sort: "llm_calls", num: true },
  { key: "total_tokens", label: "Tokens", sort: "total_tokens", num: true },
  { key: "errors", label: "Errors", sort: "errors", num: true },
  { key: "models", label: "Models" },
  { key: "tool_names", label: "Tools" },
];
const PAGE_SIZES = [20, 50, 100, 200];
const EXAMPLE = "session_id is null and (error_type == 'openai.RateLimitError' or tool == 'search_orders')";

function cell(row, key) {
  switch (key) {
    case "trace_id":
      return el("span", { class: "mono", text: row.trace_id });
    case "session_id":
      return row.session_id ? el("span", { class: "mono", text: row.session_id }) : el("span", { class: "muted", text: "no session" });
    case "name":
    case "user_id":
      return row[key] || DASH;
    case "start":
      return el("span", { title: row.start, text: fmtTime(row.start) });
    case "duration_s":
      return fmtDuration(row.duration_s);
    case "errors":
      return row.errors ? el("span", { class: "badge badge-error", text: fmtInt(row.errors) }) : "0";
    case "models":
      return modelTags(row.models);
    case "tool_names":
      return row.tool_names.length ? modelTags(row.tool_names) : DASH;
    case "total_tokens": {
      const out = [fmtInt(row.total_tokens)];
      if (row.usage_missing_calls)
        out.push(el("span", { class: "flag", title: `${row.usage_missing_calls} call(s) without reported usage: the sum is a lower bound`, text: "+" }));
      return out;
    }
    default:
      return fmtInt(row[key]);
  }
}

function filterMenu(params, fields, apply, close) {
  const inputs = {};
  const field = (key, placeholder, type = "text") => {
    inputs[key] = el("input", { type, min: type === "number" ? "0" : null, id: `tf-${key}`, "data-testid": `tfilter-${key}`,
      placeholder, value: params.get(key) || "" });
    return inputs[key];
  };
  inputs.has_error = el("select", { id: "tf-has_error", "data-testid": "tfilter-has_error" },
    [["", "any"], ["1", "with errors"], ["0", "without errors"]].map(([v, label]) =>
      el("option", { value: v, selected: (params.get("has_error") || "") === v, text: label })));
  const rows = [
    ...TEXT_FILTERS.map(([key, label, ph]) => el("div", { class: "frow" }, el("label", { for: `tf-${key}`, text: label }), field(key, ph))),
    ...RANGE_FILTERS.map(([label, min, max, type]) =>
      el("div", { class: "frow" }, el("label", { for: `tf-${min}`, text: label }),
        el("div", { class: "range" }, field(min, "min", type), el("span", { class: "muted", text: "\u2013" }), field(max, "max", type)))),
    el("div", { class: "frow" }, el("label", { for: "tf-has_error", text: "Errors" }), inputs.has_error),
  ];
  inputs.where = el("textarea", { id: "tf-where", rows: 3, "data-testid": "tfilter-where", spellcheck: "false", placeholder: EXAMPLE });
  inputs.where.value = params.get("where") || "";
  const collect = () => Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value.trim() || null]));
  const form = el("form", {
    class: "filter-menu", "data-testid": "traces-filter-menu",
    onsubmit: (ev) => { ev.preventDefault(); apply(collect()); },
    onkeydown: (ev) => { if (ev.key === "Escape") close(); },
  },
  el("div", { class: "filter-grid" }, rows),
  el("div", { class: "frow frow-wide" },
    el("label", { for: "tf-where", text: "Filter expression" }),
    inputs.where,
    el("div", { class: "hint", "data-testid": "traces-filter-fields", text:
      `Fields: ${fields.join(", ")}. error_type, tool and kind test the trace's spans (some span has it); ` +
      "session_id is null finds the traces outside every session. Operators: == != < <= > >= contains in, is [not] null, with and / or / not." })),
  el("div", { class: "filter-actions" },
    el("button", { type: "button", class: "btn", "data-testid": "tfilter-clear", text: "Clear all",
      onclick: () => apply(Object.fromEntries(TRACE_FILTER_KEYS.map((k) => [k, null]))) }),
    el("span", { class: "spacer" }),
    el("button", { type: "button", class: "btn", text: "Cancel", onclick: close }),
    el("button", { type: "submit", class: "btn btn-primary", "data-testid": "tfilter-apply", text: "Apply filters" })));
  inputs.where.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      apply(collect());
    }
  });
  return form;
}

function searchBar(params, fields, go) {
  const wrap = el("div", { class: "search-wrap" });
  let menu = null;
  const outside = (ev) => { if (!wrap.contains(ev.target)) close(); };
  const close = () => {
    if (menu) menu.remove();
    menu = null;
    document.removeEventListener("mousedown", outside, true);
  };
  const apply = (changes) => {
    close();
    go(withParams(params, { ...changes, offset: null }));
  };
  const open = () => {
    if (menu) return;
    menu = filterMenu(params, fields, apply, close);
    wrap.appendChild(menu);
    document.addEventListener("mousedown", outside, true);
  };
  const search = el("input", {
    type: "search", class: "search", "data-testid": "traces-search", "aria-label": "Filter traces",
    placeholder: `Filter traces: click for all filters, or type an expression like ${EXAMPLE}`,
    value: params.get("where") || "",
    onfocus: open, onclick: open,
    onkeydown: (ev) => {
      if (ev.key === "Enter") {
        ev.preventDefault();
        apply({ where: search.value.trim() || null });
      } else if (ev.key === "Escape") close();
    },
  });
  wrap.append(el("span", { class: "search-icon", text: "\u2315" }), search);
  return wrap;
}

function chips(params, go) {
  const active = TRACE_FILTER_KEYS.filter((k) => params.get(k));
  if (!active.length) return null;
  const shown = (k) => (k === "has_error" ? (params.get(k) === "0" ? "none" : "some") : params.get(k));
  return el("div", { class: "chips", "data-testid": "traces-active-filters" },
    active.map((k) =>
      el("span", { class: "chip", "data-testid": `tchip-${k}` },
        el("span", { class: "chip-label", text: CHIP_LABELS[k] }),
        el("span", { class: "chip-value", text: shown(k) }),
        el("button", { class: "chip-x", title: "Remove filter", "aria-label": `Remove ${k} filter`, "data-testid": `tchip-remove-${k}`,
          text: "\u00d7", onclick: () => go(withParams(params, { [k]: null, offset: null })) }))));
}

export async function renderTraces(main, state, isCurrent, metaPromise) {
  const { params } = state;
  const go = (next) => navigate("traces", null, next);
  const orderBy = params.get("order_by") || "-start";
  const limit = Number(params.get("limit")) || 50;
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const query = { ...windowQuery(params), order_by: orderBy, limit, offset };
  for (const k of TRACE_FILTER_KEYS) if (params.get(k)) query[k] = params.get(k);
  const meta = await metaPromise;
  const fields = Object.keys(meta.trace_filter_fields || {});

  const body = el("div", { class: "card table-card" }, loading());
  main.append(
    el("div", { class: "page-head" }, el("h1", { text: "Traces" }),
      el("p", { class: "subtitle", text: "Every trace that overlaps the time window, with or without a session." })),
    el("div", { class: "toolbar" }, windowPicker(params, go), searchBar(params, fields, go)),
    chips(params, go) || "",
    body,
  );
  let data;
  try {
    data = await api("traces", query);
  } catch (err) {
    if (!isCurrent()) return;
    body.replaceChildren(err.kind === "missing_db" ? missingSink(err) : errorBox(err));
    return;
  }
  if (!isCurrent()) return;

  const [sortKey, desc] = orderBy.startsWith("-") ? [orderBy.slice(1), true] : [orderBy, false];
  const head = el("tr", {}, COLUMNS.map((c) => {
    if (!c.sort) return el("th", { class: c.num ? "num" : "", text: c.label });
    const active = c.sort === sortKey;
    const next = active && desc ? c.sort : `-${c.sort}`;
    return el("th", { class: `sortable${c.num ? " num" : ""}${active ? " sorted" : ""}`, "aria-sort": active ? (desc ? "descending" : "ascending") : "none" },
      el("button", { class: "th-btn", "data-testid": `tsort-${c.sort}`, title: `Sort by ${c.label}`,
        onclick: () => go(withParams(params, { order_by: next, offset: null })) },
        c.label, el("span", { class: "sort-arrow", text: active ? (desc ? "\u25bc" : "\u25b2") : "\u21c5" })));
  }));
  const traceParams = withParams(params, { from: "traces", span: null, session: null });
  const rows = data.rows.map((row) =>
    el("tr", { class: "clickable", "data-testid": "explorer-row", "data-trace-id": row.trace_id,
      onclick: () => navigate("trace", row.trace_id, traceParams) },
      COLUMNS.map((c) => el("td", { class: c.num ? "num" : "", "data-col": c.key }, cell(row, c.key)))));
  const table = el("table", { class: "table", "data-testid": "explorer-table" }, el("thead", {}, head), el("tbody", {}, rows));
  const first = data.rows.length ? offset + 1 : 0;
  const last = offset + data.rows.length;
  const pager = el("div", { class: "pager" },
    el("span", { class: "muted", text: `Window ${fmtTime(data.since)} \u2013 ${fmtTime(data.until)}` }),
    el("span", { class: "spacer" }),
    el("label", { class: "muted", text: "Rows per page " },
      el("select", { "data-testid": "tpage-size", onchange: (ev) => go(withParams(params, { limit: ev.target.value, offset: null })) },
        PAGE_SIZES.map((n) => el("option", { value: n, selected: n === limit, text: n })))),
    el("span", { class: "page-info", "data-testid": "tpage-info", text: `${fmtInt(first)}\u2013${fmtInt(last)}${data.has_more ? " (more)" : ""}` }),
    el("button", { class: "btn btn-small", "data-testid": "tpage-prev", text: "\u2039 Prev", disabled: offset === 0,
      onclick: () => go(withParams(params, { offset: Math.max(0, offset - limit) || null })) }),
    el("button", { class: "btn btn-small", "data-testid": "tpage-next", text: "Next \u203a", disabled: !data.has_more,
      onclick: () => go(withParams(params, { offset: offset + limit })) }));
  body.replaceChildren(
    data.rows.length ? el("div", { class: "table-scroll" }, table)
      : emptyState("No traces match", "Widen the time window or remove a filter.", "no-traces"),
    pager,
  );
}

/** The link under the sessions list to the traces no session lists (null when there are none). */
export function sessionlessLink(count, params, where) {
  if (!count) return null;
  const keep = new URLSearchParams();
  for (const k of ["window", "since", "until"]) if (params.get(k)) keep.set(k, params.get(k));
  keep.set("where", where || "session_id is null");
  return el("div", { class: "sessionless muted", "data-testid": "sessionless-note" },
    `${fmtInt(count)} ${count === 1 ? "trace" : "traces"} in this window ${count === 1 ? "has" : "have"} no session. `,
    el("a", { class: "link", href: hashFor("traces", null, keep), "data-testid": "sessionless-link", text: "Show them in Traces" }));
}
