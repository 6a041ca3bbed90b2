// Model analysis: one model's figures and time series, and every model side by side.

import { timeSeriesChart } from "./charts.js";
import { DASH, costCell, el, fmtBucket, fmtCompact, fmtDuration, fmtFloat, fmtInt, fmtPct, fmtUsd, metricCard } from "./dom.js";
import {
  api,
  emptyState,
  errorBox,
  hashFor,
  loading,
  missingSink,
  navigate,
  windowParams,
  windowPicker,
  windowQuery,
  withParams,
} from "./state.js";

const COLORS = {
  requests: "#3b82f6",
  errors: "#dc2626",
  input: "#6366f1",
  output: "#0ea5e9",
  p50: "#10b981",
  p90: "#f59e0b",
  p99: "#ef4444",
  cost: "#16a34a",
};

function fmtSeconds(v) {
  return v === null || v === undefined ? DASH : fmtDuration(v);
}

function smallTable(title, testid, counts, total) {
  const entries = Object.entries(counts || {}).sort((a, b) => b[1] - a[1]);
  return el("div", { class: "card", "data-testid": testid },
    el("div", { class: "card-head" }, el("h3", { text: title })),
    entries.length
      ? el("table", { class: "table" }, el("tbody", {}, entries.map(([k, n]) =>
          el("tr", {}, el("td", { class: "mono", text: k }), el("td", { class: "num", text: fmtInt(n) }),
            el("td", { class: "num muted", text: total ? fmtPct(n / total) : DASH })))))
      : el("p", { class: "muted pad", text: "None in this window." }));
}

function comparisonTable(models, selected, params) {
  const cols = [
    ["Model", (m) => el("span", { class: "mono", text: m.model })],
    ["Provider", (m) => m.providers.join(", ") || DASH],
    ["Requests", (m) => fmtInt(m.requests), "requests"],
    ["Errors", (m) => fmtInt(m.errors), "errors"],
    ["Error rate", (m) => fmtPct(m.error_rate), "error_rate"],
    ["Input tokens", (m) => fmtInt(m.input_tokens), "input_tokens"],
    ["Output tokens", (m) => fmtInt(m.output_tokens), "output_tokens"],
    ["Avg in", (m) => fmtFloat(m.avg_input_tokens, 0), "avg_input_tokens"],
    ["Avg out", (m) => fmtFloat(m.avg_output_tokens, 0), "avg_output_tokens"],
    ["Latency p50", (m) => fmtSeconds(m.latency_p50_s), "latency_p50_s"],
    ["Latency p99", (m) => fmtSeconds(m.latency_p99_s), "latency_p99_s"],
    ["TTFT p50", (m) => fmtSeconds(m.ttft_p50_s), "ttft_p50_s"],
    ["Cost", (m) => costCell(m.cost_usd, m.unpriced_calls), "cost_usd"],
    ["Cost / 1k calls", (m) => fmtUsd(m.cost_per_1k_calls_usd), "cost_per_1k_calls_usd"],
    ["Cache hit", (m) => fmtPct(m.cache_hit_ratio), "cache_hit_ratio"],
  ];
  return el("div", { class: "card table-card" },
    el("div", { class: "card-head" }, el("h3", { text: "All models" }), el("span", { class: "muted", text: "Click a model to analyse it." })),
    el("div", { class: "table-scroll" }, el("table", { class: "table", "data-testid": "models-table" },
      el("thead", {}, el("tr", {}, cols.map(([h], i) => el("th", { class: i > 1 ? "num" : "", text: h })))),
      el("tbody", {}, models.map((m) =>
        el("tr", { class: `clickable${m.model === selected ? " selected" : ""}`, "data-testid": "model-row", "data-model": m.model,
          onclick: () => navigate("models", null, withParams(params, { model: m.model })) },
          cols.map(([, f, key], i) => el("td", { class: i > 1 ? "num" : "", "data-col": key || "", text: null }, f(m)))))))));
}

export async function renderModels(main, state, isCurrent) {
  const { params } = state;
  const go = (next) => navigate("models", null, next);
  const win = windowQuery(params);
  const head = el("div", { class: "toolbar" });
  const body = el("div", {}, loading());
  main.append(
    el("div", { class: "page-head" }, el("h1", { text: "Model analysis" }),
      el("p", { class: "subtitle", text: "Requests, errors, tokens, latency and time to first token per model, over the time window." })),
    head, body);

  let list;
  try {
    list = await api("models", win);
  } catch (err) {
    if (!isCurrent()) return;
    head.append(windowPicker(params, go));
    body.replaceChildren(err.kind === "missing_db" ? missingSink(err) : errorBox(err));
    return;
  }
  if (!isCurrent()) return;
  const names = list.models.map((m) => m.model);
  const wanted = params.get("model");
  const name = wanted || names[0] || null;
  const options = wanted && !names.includes(wanted) ? [wanted, ...names] : names;
  const select = el("select", { class: "model-select", "data-testid": "model-select", "aria-label": "Model",
    onchange: (ev) => go(withParams(params, { model: ev.target.value })) },
    options.length ? options.map((n) => el("option", { value: n, selected: n === name, text: n })) : el("option", { value: "", text: "No models" }));
  head.append(el("label", { class: "model-picker" }, el("span", { class: "muted", text: "Model" }), select), windowPicker(params, go, list));
  if (!name) {
    body.replaceChildren(emptyState("No model calls in this window", "Widen the time window, or record some LLM calls first.", "no-models"));
    return;
  }

  let m;
  try {
    m = await api(`model/${encodeURIComponent(name)}`, win);
  } catch (err) {
    if (isCurrent()) body.replaceChildren(errorBox(err));
    return;
  }
  if (!isCurrent()) return;

  const metrics = el("div", { class: "metrics", "data-testid": "model-summary" },
    metricCard("metric-requests", "Requests", fmtInt(m.requests), m.requests),
    metricCard("metric-errors", "Errors", fmtInt(m.errors), m.errors),
    metricCard("metric-error-rate", "Error rate", fmtPct(m.error_rate), m.error_rate),
    metricCard("metric-slow-calls", `Slow calls (> ${fmtFloat(m.slow_threshold_s, 0)} s)`, fmtInt(m.slow_calls), m.slow_calls),
    metricCard("metric-input-tokens", "Input tokens", fmtInt(m.input_tokens), m.input_tokens, `avg ${fmtFloat(m.avg_input_tokens, 1)} / call`),
    metricCard("metric-output-tokens", "Output tokens", fmtInt(m.output_tokens), m.output_tokens, `avg ${fmtFloat(m.avg_output_tokens, 1)} / call`),
    metricCard("metric-latency-p50", "Latency p50", fmtSeconds(m.latency.p50), m.latency.p50),
    metricCard("metric-latency-p90", "Latency p90", fmtSeconds(m.latency.p90), m.latency.p90),
    metricCard("metric-latency-p99", "Latency p99", fmtSeconds(m.latency.p99), m.latency.p99, `avg ${fmtSeconds(m.latency.avg)} \u00b7 max ${fmtSeconds(m.latency.max)}`),
    metricCard("metric-ttft-p50", "TTFT p50", fmtSeconds(m.ttft.p50), m.ttft.p50, `${fmtInt(m.ttft.count)} streamed`),
    metricCard("metric-ttft-p90", "TTFT p90", fmtSeconds(m.ttft.p90), m.ttft.p90),
    metricCard("metric-ttft-p99", "TTFT p99", fmtSeconds(m.ttft.p99), m.ttft.p99),
    metricCard("metric-tokens-per-s", "Output tokens / s", fmtFloat(m.output_tokens_per_s, 1), m.output_tokens_per_s),
    metricCard("metric-cache-read", "Cached input tokens", fmtInt(m.cache_read_tokens), m.cache_read_tokens),
    metricCard("metric-reasoning", "Reasoning tokens", fmtInt(m.reasoning_tokens), m.reasoning_tokens),
    metricCard("metric-cost", "Cost", fmtUsd(m.cost_usd), m.cost_usd, m.unpriced_calls ? `+ ${fmtInt(m.unpriced_calls)} unpriced calls` : null),
    metricCard("metric-cost-p50", "Cost / call p50", fmtUsd(m.cost_per_call ? m.cost_per_call.p50 : null), m.cost_per_call ? m.cost_per_call.p50 : null,
      m.cost_per_call ? `avg ${fmtUsd(m.cost_per_call.avg)}` : null),
    metricCard("metric-cost-p99", "Cost / call p99", fmtUsd(m.cost_per_call ? m.cost_per_call.p99 : null), m.cost_per_call ? m.cost_per_call.p99 : null),
    metricCard("metric-cache-hit", "Cache hit ratio", fmtPct(m.cache_hit_ratio), m.cache_hit_ratio, `${fmtInt(m.cache_creation_tokens)} tokens written`),
    metricCard("metric-cache-saved", "Saved by caching", fmtUsd(m.cache_saved_usd), m.cache_saved_usd));

  const series = m.series;
  const starts = series.map((b) => b.start);
  const pick = (key) => series.map((b) => b[key]);
  const common = { since: m.since, until: m.until, bucketS: m.bucket_s, starts };
  const charts = el("div", { class: "charts" },
    timeSeriesChart({ ...common, title: "Requests & errors", testid: "chart-requests", integer: true, series: [
      { label: "Requests", color: COLORS.requests, values: pick("requests"), type: "bar" },
      { label: "Errors", color: COLORS.errors, values: pick("errors"), type: "bar" }] }),
    timeSeriesChart({ ...common, title: "Token consumption", testid: "chart-tokens", integer: true, series: [
      { label: "Input tokens", color: COLORS.input, values: pick("input_tokens"), type: "line" },
      { label: "Output tokens", color: COLORS.output, values: pick("output_tokens"), type: "line" }] }),
    timeSeriesChart({ ...common, title: "Latency percentiles", testid: "chart-latency", format: fmtAxisSeconds, series: [
      { label: "p50", color: COLORS.p50, values: pick("latency_p50_s") },
      { label: "p90", color: COLORS.p90, values: pick("latency_p90_s") },
      { label: "p99", color: COLORS.p99, values: pick("latency_p99_s") }] }),
    timeSeriesChart({ ...common, title: "Time to first token", testid: "chart-ttft", format: fmtAxisSeconds, series: [
      { label: "p50", color: COLORS.p50, values: pick("ttft_p50_s") },
      { label: "p90", color: COLORS.p90, values: pick("ttft_p90_s") }] }),
    timeSeriesChart({ ...common, title: "Cost (USD)", testid: "chart-cost", format: fmtAxisUsd, series: [
      { label: "Cost", color: COLORS.cost, values: pick("cost_usd"), type: "bar" }] }));

  body.replaceChildren(
    // Every model side by side first (requests, errors, latency, TTFT, tokens, cost), then the one picked.
    comparisonTable(list.models, m.model, params),
    el("div", { class: "model-title" }, el("h2", { class: "mono", "data-testid": "model-name", text: m.model }),
      el("span", { class: "muted", text: `${m.providers.join(", ") || "unknown provider"} \u00b7 ${fmtBucket(m.bucket_s)} buckets` })),
    metrics,
    traceLinks(m, params),
    charts,
    el("div", { class: "two-col" },
      smallTable("Errors by type", "error-types", m.error_types, m.errors),
      smallTable("Finish reasons", "finish-reasons", m.finish_reasons, Object.values(m.finish_reasons || {}).reduce((a, b) => a + b, 0))),
  );
}

function fmtAxisUsd(v) {
  return v === 0 ? "$0" : fmtUsd(v);
}

/** Links into the Traces tab: the traces that called this model and were slow / failed. */
function traceLinks(m, params) {
  const base = withParams(windowParams(params), { model: m.model });
  const slow = withParams(base, { min_duration_s: `${m.slow_threshold_s}s`, order_by: "-duration_s" });
  const failed = withParams(base, { has_error: "1" });
  return el("div", { class: "trace-links", "data-testid": "model-trace-links" },
    el("a", { class: "link", href: hashFor("traces", null, slow), "data-testid": "show-slow-calls",
      title: `Traces that called ${m.model} and lasted longer than ${m.slow_threshold_s} s`, text: "Show the slow calls" }),
    el("a", { class: "link", href: hashFor("traces", null, failed), "data-testid": "show-failed-calls",
      title: `Traces that called ${m.model} and have an error`, text: "Show the failed calls" }));
}

function fmtAxisSeconds(v) {
  if (v === 0) return "0";
  return v < 1 ? `${Math.round(v * 1000)}ms` : `${fmtCompact(v)}s`;
}
