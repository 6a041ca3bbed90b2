// Session analysis: the filtered, sorted, paginated session list and a session's details.

import { DASH, costCell, el, fmtDuration, fmtInt, fmtPct, fmtTime, fmtUsd, kvList, metricCard, modelTags } from "./dom.js";
import { transcriptCard } from "./transcript.js";
import {
  api,
  breadcrumb,
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
import { sessionlessLink } from "./traces.js";

/** Every filter of the analysis API's sessions(): [param, label, placeholder]. */
const TEXT_FILTERS = [
  ["session_id", "Session ID", "exact session ID"],
  ["user", "User", "user ID"],
];
const RANGE_FILTERS = [
  ["duration", "Duration (30s, 2m)", "min_duration_s", "max_duration_s", "", "text"],
  ["traces", "Traces", "min_traces", "max_traces", "", "number"],
  ["total_tokens", "Total tokens", "min_total_tokens", "max_total_tokens", "", "number"],
  ["input_tokens", "Input tokens", "min_input_tokens", "max_input_tokens", "", "number"],
  ["output_tokens", "Output tokens", "min_output_tokens", "max_output_tokens", "", "number"],
  ["cost", "Cost (USD)", "min_cost", "max_cost", "", "number"],
];
export const FILTER_KEYS = [
  ...TEXT_FILTERS.map(([k]) => k),
  ...RANGE_FILTERS.flatMap(([, , min, max]) => [min, max]),
  "where",
];
const CHIP_LABELS = {
  session_id: "Session ID =",
  user: "User =",
  min_duration_s: "Duration \u2265",
  max_duration_s: "Duration \u2264",
  min_traces: "Traces \u2265",
  max_traces: "Traces \u2264",
  min_total_tokens: "Total tokens \u2265",
  max_total_tokens: "Total tokens \u2264",
  min_input_tokens: "Input tokens \u2265",
  max_input_tokens: "Input tokens \u2264",
  min_output_tokens: "Output tokens \u2265",
  max_output_tokens: "Output tokens \u2264",
  min_cost: "Cost $ \u2265",
  max_cost: "Cost $ \u2264",
  where: "Where",
};

const COLUMNS = [
  { key: "session_id", label: "Session ID", sort: "session_id" },
  { key: "users", label: "User", sort: "user" },
  { key: "start", label: "Start", sort: "start" },
  { key: "duration_s", label: "Duration", sort: "duration_s", num: true },
  { key: "traces", label: "Traces", sort: "traces", num: true },
  { key: "llm_calls", label: "LLM calls", sort: "llm_calls", num: true },
  { key: "input_tokens", label: "Input tokens", sort: "input_tokens", num: true },
  { key: "output_tokens", label: "Output tokens", sort: "output_tokens", num: true },
  { key: "total_tokens", label: "Total tokens", sort: "total_tokens", num: true },
  { key: "cost_usd", label: "Cost", sort: "cost", num: true },
  { key: "errors", label: "Errors", sort: "errors", num: true },
  { key: "models", label: "Models" },
];
const PAGE_SIZES = [20, 50, 100, 200];

function cell(row, key) {
  switch (key) {
    case "session_id":
      return el("span", { class: "mono", text: row.session_id });
    case "users":
      return row.users && row.users.length ? row.users.join(", ") : DASH;
    case "start":
      return el("span", { title: row.start, text: fmtTime(row.start) });
    case "duration_s":
      return fmtDuration(row.duration_s);
    case "errors":
      return row.errors ? el("span", { class: "badge badge-error", text: fmtInt(row.errors) }) : "0";
    case "models":
      return modelTags(row.models);
    case "cost_usd":
      return costCell(row.cost_usd, row.unpriced_calls);
    case "input_tokens":
    case "output_tokens":
    case "total_tokens": {
      const out = [fmtInt(row[key])];
      if (row.usage_missing_calls)
        out.push(el("span", { class: "flag", title: `${row.usage_missing_calls} call(s) without reported usage: the sum is a lower bound`, text: "+" }));
      return out;
    }
    default:
      return fmtInt(row[key]);
  }
}

function filterMenu(params, apply, close) {
  const inputs = {};
  const field = (key, label, placeholder, type = "text") => {
    inputs[key] = el("input", { type, min: type === "number" ? "0" : null, id: `f-${key}`, "data-testid": `filter-${key}`,
      placeholder, value: params.get(key) || "" });
    return inputs[key];
  };
  const rows = [
    ...TEXT_FILTERS.map(([key, label, ph]) => el("div", { class: "frow" }, el("label", { for: `f-${key}`, text: label }), field(key, label, ph))),
    el("datalist", { id: "users-list", "data-testid": "users-list" }),
    ...RANGE_FILTERS.map(([, label, min, max, ph, type]) =>
      el("div", { class: "frow" }, el("label", { for: `f-${min}`, text: label }),
        el("div", { class: "range" }, field(min, label, "min", type), el("span", { class: "muted", text: "\u2013" }), field(max, label, "max", type)))),
  ];
  inputs.user.setAttribute("list", "users-list");
  inputs.where = el("textarea", { id: "f-where", rows: 3, "data-testid": "filter-where", spellcheck: "false",
    placeholder: "duration_s > 30 and total_tokens >= 10000 and (user == 'alice' or user == 'bob')" });
  inputs.where.value = params.get("where") || "";
  const collect = () => Object.fromEntries(Object.entries(inputs).map(([k, input]) => [k, input.value.trim() || null]));
  const form = el(
    "form",
    {
      class: "filter-menu",
      "data-testid": "filter-menu",
      onsubmit: (ev) => {
        ev.preventDefault();
        apply(collect());
      },
      onkeydown: (ev) => {
        if (ev.key === "Escape") close();
      },
    },
    el("div", { class: "filter-grid" }, rows),
    el("div", { class: "frow frow-wide" },
      el("label", { for: "f-where", text: "Filter expression" }),
      inputs.where,
      el("div", { class: "hint", text:
        "Fields: session_id, user, duration_s, traces, llm_calls, input_tokens, output_tokens, total_tokens, cost, errors, models, start, end. " +
        "Operators: == != < <= > >= contains in, combined with and / or / not and parentheses; durations like 30s, 2m." })),
    el("div", { class: "filter-actions" },
      el("button", { type: "button", class: "btn", "data-testid": "filter-clear", text: "Clear all",
        onclick: () => apply(Object.fromEntries(FILTER_KEYS.map((k) => [k, null]))) }),
      el("span", { class: "spacer" }),
      el("button", { type: "button", class: "btn", "data-testid": "filter-cancel", text: "Cancel", onclick: close }),
      el("button", { type: "submit", class: "btn btn-primary", "data-testid": "filter-apply", text: "Apply filters" })),
  );
  // Enter in a single-line field applies; in the expression box it does too unless Shift is held.
  inputs.where.addEventListener("keydown", (ev) => {
    if (ev.key === "Enter" && !ev.shiftKey) {
      ev.preventDefault();
      apply(collect());
    }
  });
  return form;
}

function searchBar(params, go) {
  const wrap = el("div", { class: "search-wrap" });
  let menu = null;
  const close = () => {
    if (menu) menu.remove();
    menu = null;
    document.removeEventListener("mousedown", outside, true);
  };
  const outside = (ev) => {
    if (!wrap.contains(ev.target)) close();
  };
  const apply = (changes) => {
    close();
    go(withParams(params, { ...changes, offset: null }));
  };
  const open = () => {
    if (menu) return;
    menu = filterMenu(params, apply, close);
    wrap.appendChild(menu);
    document.addEventListener("mousedown", outside, true);
    // Suggest the users active in the window (fetched only when the menu opens).
    const list = menu.querySelector("#users-list");
    api("users", windowQuery(params)).then(
      (data) => list.replaceChildren(...data.users.map((u) => el("option", { value: u.user_id }))),
      () => {},
    );
  };
  const search = el("input", {
    type: "search",
    class: "search",
    "data-testid": "filter-search",
    "aria-label": "Filter sessions",
    placeholder: "Filter sessions: click for all filters, or type an expression like user == 'alice' and total_tokens > 1000",
    value: params.get("where") || "",
    onfocus: open,
    onclick: open,
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
  const active = FILTER_KEYS.filter((k) => params.get(k));
  if (!active.length) return null;
  return el(
    "div",
    { class: "chips", "data-testid": "active-filters" },
    active.map((k) =>
      el("span", { class: "chip", "data-testid": `chip-${k}` },
        el("span", { class: "chip-label", text: CHIP_LABELS[k] }),
        el("span", { class: "chip-value", text: params.get(k) }),
        el("button", { class: "chip-x", title: "Remove filter", "aria-label": `Remove ${k} filter`, "data-testid": `chip-remove-${k}`,
          text: "\u00d7", onclick: () => go(withParams(params, { [k]: null, offset: null })) })),
    ),
    active.length > 1
      ? el("button", { class: "link", "data-testid": "chips-clear", text: "Clear all",
          onclick: () => go(withParams(params, Object.fromEntries([...FILTER_KEYS.map((k) => [k, null]), ["offset", null]]))) })
      : null,
  );
}

export async function renderSessions(main, state, isCurrent) {
  const { params } = state;
  const go = (next) => navigate("sessions", null, next);
  const orderBy = params.get("order_by") || "-start";
  const limit = Number(params.get("limit")) || 50;
  const offset = Math.max(0, Number(params.get("offset")) || 0);
  const query = { ...windowQuery(params), order_by: orderBy, limit, offset };
  for (const k of FILTER_KEYS) if (params.get(k)) query[k] = params.get(k);

  const body = el("div", { class: "card table-card" }, loading());
  main.append(
    el("div", { class: "page-head" }, el("h1", { text: "Session analysis" }),
      el("p", { class: "subtitle", text: "Sessions that overlap the time window, with every filter of the analysis API." })),
    el("div", { class: "toolbar" }, windowPicker(params, go), searchBar(params, go)),
    chips(params, go) || "",
    body,
  );

  let data;
  try {
    data = await api("sessions", query);
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
      el("button", { class: "th-btn", "data-testid": `sort-${c.sort}`, title: `Sort by ${c.label}`,
        onclick: () => go(withParams(params, { order_by: next, offset: null })) },
        c.label, el("span", { class: "sort-arrow", text: active ? (desc ? "\u25bc" : "\u25b2") : "\u21c5" })));
  }), el("th", { class: "actions", text: "" }));

  const rows = data.rows.map((row) => {
    const open = () => navigate("session", row.session_id, params);
    return el("tr", { class: "clickable", "data-testid": "session-row", "data-session-id": row.session_id, onclick: open },
      COLUMNS.map((c) => el("td", { class: c.num ? "num" : "", "data-col": c.key }, cell(row, c.key))),
      el("td", { class: "actions" }, el("a", { class: "link", href: hashFor("session", row.session_id, params), "data-testid": "session-details",
        text: "Details", onclick: (ev) => ev.stopPropagation() })));
  });

  const table = el("table", { class: "table", "data-testid": "sessions-table" }, el("thead", {}, head), el("tbody", {}, rows));
  const first = data.rows.length ? offset + 1 : 0;
  const last = offset + data.rows.length;
  const info = `${fmtInt(first)}\u2013${fmtInt(last)}${data.total !== null && data.total !== undefined ? ` of ${fmtInt(data.total)}` : data.has_more ? " (more)" : ""}`;
  const pager = el("div", { class: "pager" },
    el("span", { class: "muted", text: `Window ${fmtTime(data.since)} \u2013 ${fmtTime(data.until)}` }),
    el("span", { class: "spacer" }),
    el("label", { class: "muted", text: "Rows per page " },
      el("select", { "data-testid": "page-size", onchange: (ev) => go(withParams(params, { limit: ev.target.value, offset: null })) },
        PAGE_SIZES.map((n) => el("option", { value: n, selected: n === limit, text: n })))),
    el("span", { class: "page-info", "data-testid": "page-info", text: info }),
    el("button", { class: "btn btn-small", "data-testid": "page-prev", text: "\u2039 Prev", disabled: offset === 0,
      onclick: () => go(withParams(params, { offset: Math.max(0, offset - limit) || null })) }),
    el("button", { class: "btn btn-small", "data-testid": "page-next", text: "Next \u203a", disabled: !data.has_more,
      onclick: () => go(withParams(params, { offset: offset + limit })) }));

  body.replaceChildren(
    data.rows.length ? el("div", { class: "table-scroll" }, table)
      : emptyState("No sessions match", "Widen the time window or remove a filter.", "no-sessions"),
    pager,
    sessionlessLink(data.sessionless_traces, params) || "",
  );
}

export async function renderSession(main, state, isCurrent) {
  const { id, params } = state;
  const back = hashFor("sessions", null, withParams(params, { session: null, span: null }));
  main.append(breadcrumb([["Session analysis", back], [`Session ${id}`, null]]));
  const body = el("div", {}, loading());
  main.append(body);
  let data;
  // The transcript comes with the session; without it (an error) the page still shows the figures.
  const transcriptPromise = api(`transcript/${encodeURIComponent(id)}`).catch(() => null);
  let transcript;
  try {
    [data, transcript] = await Promise.all([api(`session/${encodeURIComponent(id)}`), transcriptPromise]);
  } catch (err) {
    if (isCurrent()) body.replaceChildren(err.kind === "missing_db" ? missingSink(err) : errorBox(err));
    return;
  }
  if (!isCurrent()) return;
  const s = data.summary;
  const metrics = el("div", { class: "metrics", "data-testid": "session-summary" },
    metricCard("sum-duration", "Duration", fmtDuration(s.duration_s), s.duration_s),
    metricCard("sum-traces", "Traces", fmtInt(s.traces), s.traces),
    metricCard("sum-llm-calls", "LLM calls", fmtInt(s.llm_calls), s.llm_calls),
    metricCard("sum-input-tokens", "Input tokens", fmtInt(s.input_tokens), s.input_tokens),
    metricCard("sum-output-tokens", "Output tokens", fmtInt(s.output_tokens), s.output_tokens),
    metricCard("sum-total-tokens", "Total tokens", fmtInt(s.total_tokens), s.total_tokens),
    metricCard("sum-cost", "Cost", fmtUsd(s.cost_usd), s.cost_usd, s.unpriced_calls ? `+ ${fmtInt(s.unpriced_calls)} unpriced calls` : null),
    metricCard("sum-cache-hit", "Cache hit ratio", fmtPct(s.cache_hit_ratio), s.cache_hit_ratio, `${fmtInt(s.cache_read_tokens)} read \u00b7 ${fmtInt(s.cache_creation_tokens)} written`),
    metricCard("sum-cache-saved", "Saved by caching", fmtUsd(s.cache_saved_usd), s.cache_saved_usd),
    metricCard("sum-errors", "Errors", fmtInt(s.errors), s.errors));
  const info = kvList([
    ["Session ID", el("span", { class: "mono", text: s.session_id })],
    ["Users", s.users.length ? s.users.join(", ") : DASH],
    ["Start", fmtTime(s.start)],
    ["End", fmtTime(s.end)],
    ["Models", s.models.length ? s.models.join(", ") : DASH],
    s.service_name ? ["Service", s.service_name] : null,
    s.usage_missing_calls ? ["Calls without usage", fmtInt(s.usage_missing_calls)] : null,
  ], "session-info");

  const sessionStart = new Date(s.start).getTime();
  const sessionMs = Math.max(1, new Date(s.end).getTime() - sessionStart);
  const traceParams = (t) => withParams(params, { session: s.session_id, span: null });
  const rows = data.traces.map((t, i) => {
    const left = ((new Date(t.start).getTime() - sessionStart) / sessionMs) * 100;
    const width = Math.max(0.4, ((t.duration_s * 1000) / sessionMs) * 100);
    const open = () => navigate("trace", t.trace_id, traceParams(t));
    return el("tr", { class: "clickable", "data-testid": "trace-row", "data-trace-id": t.trace_id, onclick: open },
      el("td", { class: "num muted", text: i + 1 }),
      el("td", {}, el("a", { class: "link mono", href: hashFor("trace", t.trace_id, traceParams(t)), "data-testid": "trace-link",
        text: t.trace_id, onclick: (ev) => ev.stopPropagation() })),
      el("td", { "data-col": "name", text: t.name || DASH }),
      el("td", { "data-col": "start", title: t.start, text: fmtTime(t.start) }),
      el("td", { class: "timeline-cell" }, el("div", { class: "mini-track" },
        el("div", { class: `mini-bar${t.errors ? " error" : ""}`, style: { left: `${Math.min(left, 99.6)}%`, width: `${Math.min(width, 100 - left)}%` } }))),
      el("td", { class: "num", "data-col": "duration_s", text: fmtDuration(t.duration_s) }),
      el("td", { class: "num", "data-col": "gap_s", title: "Think time since the previous trace ended", text: fmtDuration(t.gap_s) }),
      el("td", { class: "num", "data-col": "llm_calls", text: fmtInt(t.llm_calls) }),
      el("td", { class: "num", "data-col": "input_tokens", text: fmtInt(t.input_tokens) }),
      el("td", { class: "num", "data-col": "output_tokens", text: fmtInt(t.output_tokens) }),
      el("td", { class: "num", "data-col": "total_tokens", text: fmtInt(t.total_tokens) }),
      el("td", { class: "num", "data-col": "cache_read_tokens" }, fmtInt(t.cache_read_tokens),
        t.cache_bust ? el("span", { class: "badge badge-error", "data-testid": "cache-bust",
          title: `Cache bust: the prompt kept growing but the cache read fell to near zero; ${fmtInt(t.cache_bust_tokens)} input tokens billed uncached`,
          text: "cache bust" }) : null),
      el("td", { class: "num", "data-col": "cost_usd" }, costCell(t.cost_usd, t.unpriced_calls)),
      el("td", { class: "num", "data-col": "ttft_s", text: fmtDuration(t.ttft_s) }),
      el("td", { class: "num", "data-col": "errors" }, t.errors ? el("span", { class: "badge badge-error", text: fmtInt(t.errors) }) : "0"),
      el("td", { "data-col": "models" }, modelTags(t.models)));
  });
  const headers = ["#", "Trace ID", "Name", "Start", "Timeline", "Duration", "Think time", "LLM calls", "Input", "Output", "Total", "Cached", "Cost", "TTFT", "Errors", "Models"];
  const numeric = new Set(["#", "Duration", "Think time", "LLM calls", "Input", "Output", "Total", "Cached", "Cost", "TTFT", "Errors"]);
  body.replaceChildren(
    el("div", { class: "page-head" }, el("h1", {}, "Session ", el("span", { class: "mono title-id", "data-testid": "session-title", text: s.session_id }))),
    metrics,
    el("div", { class: "card" }, el("div", { class: "card-head" }, el("h3", { text: "Summary" })), info),
    el("div", { class: "card table-card" },
      el("div", { class: "card-head" }, el("h3", { text: `Traces (${data.traces.length})` }),
        el("span", { class: "muted", text: "One trace per request-response cycle; click one for its span waterfall." })),
      el("div", { class: "table-scroll" }, el("table", { class: "table", "data-testid": "traces-table" },
        el("thead", {}, el("tr", {}, headers.map((h) => el("th", { class: numeric.has(h) ? "num" : "", text: h })))),
        el("tbody", {}, rows)))),
    transcript ? transcriptCard(transcript, s.session_id, traceParams()) : "",
  );
}
