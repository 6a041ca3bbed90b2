// Users: per-user activity in the window, most expensive first (unknown cost last).

import { DASH, costCell, el, fmtDuration, fmtInt, fmtTime } from "./dom.js";
import { api, emptyState, errorBox, loading, missingSink, navigate, windowPicker, windowQuery, withParams } from "./state.js";

export async function renderUsers(main, state, isCurrent) {
  const { params } = state;
  const go = (next) => navigate("users", null, next);
  const head = el("div", { class: "toolbar" });
  const body = el("div", {}, loading());
  main.append(
    el("div", { class: "page-head" }, el("h1", { text: "Users" }),
      el("p", { class: "subtitle", text: "What each user cost, with their sessions, requests, tokens and errors, most expensive first." })),
    head, body);
  let data;
  try {
    data = await api("users", windowQuery(params));
  } catch (err) {
    if (!isCurrent()) return;
    head.append(windowPicker(params, go));
    body.replaceChildren(err.kind === "missing_db" ? missingSink(err) : errorBox(err));
    return;
  }
  if (!isCurrent()) return;
  head.append(windowPicker(params, go, data));
  if (!data.users.length) {
    body.replaceChildren(emptyState("No users in this window", "Sessions started with a user_id show up here.", "no-users"));
    return;
  }
  // The API lists the most recently active first; this view ranks by cost (unknown last, then by recency).
  const users = data.users.map((u, i) => [u, i]).sort((a, b) =>
    (b[0].cost_usd ?? -1) - (a[0].cost_usd ?? -1) || a[1] - b[1]).map(([u]) => u);
  const cols = [
    ["User", (u) => el("span", { class: "mono", text: u.user_id }), "user_id"],
    ["Cost", (u) => costCell(u.cost_usd, u.unpriced_calls), "cost_usd"],
    ["Sessions", (u) => fmtInt(u.sessions), "sessions"],
    ["Traces", (u) => fmtInt(u.traces), "traces"],
    ["LLM calls", (u) => fmtInt(u.llm_calls), "llm_calls"],
    ["Tokens", (u) => fmtInt(u.total_tokens), "total_tokens"],
    ["Errors", (u) => fmtInt(u.errors), "errors"],
    ["p95 request", (u) => fmtDuration(u.latency_p95_s), "latency_p95_s"],
    ["First seen", (u) => fmtTime(u.first_seen), "first_seen"],
    ["Last seen", (u) => fmtTime(u.last_seen), "last_seen"],
  ];
  body.replaceChildren(el("div", { class: "card table-card" },
    el("div", { class: "card-head" }, el("h3", { text: `Users (${users.length})` }),
      el("span", { class: "muted", text: "Click a user for their sessions." })),
    el("div", { class: "table-scroll" }, el("table", { class: "table", "data-testid": "users-table" },
      el("thead", {}, el("tr", {}, cols.map(([h], i) => el("th", { class: i > 0 && i < 8 ? "num" : "", text: h })))),
      el("tbody", {}, users.map((u) =>
        el("tr", { class: "clickable", "data-testid": "user-row", "data-user": u.user_id,
          onclick: () => navigate("sessions", null, withParams(params, { user: u.user_id, order_by: "-cost" })) },
          cols.map(([, f, key], i) => el("td", { class: i > 0 && i < 8 ? "num" : "", "data-col": key }, f(u) ?? DASH)))))))));
}
