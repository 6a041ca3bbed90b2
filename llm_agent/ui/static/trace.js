// Trace view: the span tree as a timing waterfall, and the selected span's attributes and content.

import { DASH, el, fmtDuration, fmtInt, fmtTime, fmtValue, kvList, metricCard, prettyMaybeJson } from "./dom.js";
import { api, breadcrumb, errorBox, hashFor, loading, missingSink, withParams } from "./state.js";

const KIND_CLASSES = { LLM: "llm", EMBEDDING: "embedding", CHAIN: "chain", TOOL: "tool", AGENT: "agent", RETRIEVER: "retriever", RERANKER: "retriever" };
const USAGE_KINDS = new Set(["LLM", "EMBEDDING"]);

function kindClass(span) {
  return KIND_CLASSES[span.span_kind] || "other";
}

// What a step is about, per kind (the CLI's waterfall shows the same: llm_agent/_terminal.py).
const SUBJECTS = { TOOL: "gen_ai.tool.name", AGENT: "gen_ai.agent.name", RETRIEVER: "gen_ai.data_source.id" };
const DOCUMENT_COUNT = "llm_agent.retrieval.document_count";

/** "TOOL search", "AGENT bot", "RETRIEVER 3 docs", "LLM": the kind of step, and its subject unless the name says it. */
function stepLabel(span) {
  if (!span.span_kind) return "";
  const attrs = span.attributes || {};
  const parts = [span.span_kind];
  const subject = SUBJECTS[span.span_kind] ? attrs[SUBJECTS[span.span_kind]] : null;
  if (typeof subject === "string" && subject && !span.name.includes(subject)) parts.push(subject);
  const docs = Number(attrs[DOCUMENT_COUNT]); // ClickHouse rows hold attribute values as strings
  if (attrs[DOCUMENT_COUNT] !== undefined && attrs[DOCUMENT_COUNT] !== null && Number.isInteger(docs)) parts.push(`${docs} doc${docs === 1 ? "" : "s"}`);
  return parts.join(" ");
}

function ticks(totalS) {
  return [0, 0.25, 0.5, 0.75, 1].map((f) =>
    el("span", { class: "tick", style: { left: `${f * 100}%` } }, el("span", { class: `tick-label${f === 1 ? " end" : f === 0 ? " start" : ""}`, text: fmtDuration(totalS * f) })));
}

/** Pretty JSON of a value that is not a string (tool arguments, responses). */
function jsonText(value) {
  return typeof value === "string" ? value : JSON.stringify(value, null, 2);
}

/**
 * Text of one message part.  The GenAI conventions' parts (text, reasoning, tool_call,
 * tool_call_response, blob/uri/file media, anything else by its type) and, for rows stored
 * before them, plain strings and the providers' own content blocks ({text}, {type, text}...).
 */
function partText(part) {
  if (typeof part === "string") return part;
  if (!part || typeof part !== "object") return JSON.stringify(part);
  // A cut string already ends in the marker; a part cut elsewhere (tool arguments) says so once.
  const cut = part.truncated && !(typeof part.content === "string" && part.content.endsWith("[truncated]")) ? " [truncated]" : "";
  switch (part.type) {
    case "text":
      if (typeof part.content === "string") return part.content + cut;
      break;
    case "reasoning":
      return `[reasoning] ${part.content ?? ""}${cut}`;
    case "tool_call":
      return `\u2192 ${part.name || "tool"}(${jsonText(part.arguments ?? {})})${part.id ? `  [${part.id}]` : ""}${cut}`;
    case "tool_call_response":
      return `\u2190 ${part.id ? `[${part.id}] ` : ""}${jsonText(part.response)}${cut}`;
    case "blob":
      return `[${part.modality || "data"}${part.mime_type ? ` ${part.mime_type}` : ""}${typeof part.size === "number" ? `, ${part.size} bytes` : ""}, not recorded]`;
    case "uri":
      return `[${part.modality || "file"}: ${part.uri}]`;
    case "file":
      return `[${part.modality || "file"}: file ${part.file_id}]`;
    default:
      break;
  }
  for (const key of ["content", "text", "result", "arguments"]) {
    if (typeof part[key] === "string") return part[key] + cut;
  }
  return JSON.stringify(part, null, 2);
}

/** The text of one message: conventions ``parts``, or an old row's ``content`` and ``tool_calls``. */
function messageText(m) {
  if (Array.isArray(m.parts)) return m.parts.map(partText).join("\n");
  const lines = [];
  if (Array.isArray(m.content)) lines.push(...m.content.map(partText));
  else if (m.content !== undefined && m.content !== null) lines.push(partText(m.content));
  if (Array.isArray(m.tool_calls)) {
    lines.push(...m.tool_calls.map((c) => `\u2192 ${c.name || (c.function && c.function.name) || "tool"}(${jsonText(c.arguments ?? (c.function && c.function.arguments) ?? "")})`));
  }
  return lines.length ? lines.join("\n") : JSON.stringify(m, null, 2);
}

function isPart(p) {
  return p && typeof p === "object" && typeof p.type === "string" && !("name" in p && ("parameters" in p || "description" in p));
}

/**
 * Captured content: a message list is shown message by message (role, then its text, unescaped so
 * it reads as written; an output message's finish reason after the role); system instructions
 * (a list of parts) as one block; anything else as pretty JSON or plain text.  Always as text nodes.
 */
function renderContent(value) {
  let parsed = null;
  // Rows stored before the conventions' schema hold Anthropic's system prompt as a quoted JSON string.
  if (typeof value === "string" && /^\s*[[{"]/.test(value)) {
    try {
      parsed = JSON.parse(value);
    } catch (_err) {
      parsed = null;
    }
  } else if (typeof value !== "string") parsed = value;
  if (typeof parsed === "string") return el("pre", { class: "content", text: parsed });
  const list = Array.isArray(parsed) ? parsed : null;
  if (list && list.length && list.every((m) => m && typeof m === "object" && typeof m.role === "string")) {
    return el("div", { class: "messages" }, list.map((m) => {
      const role = m.finish_reason ? `${m.role} \u00b7 ${m.finish_reason}` : m.role;
      return el("div", { class: "message" }, el("div", { class: `role role-${m.role.replace(/[^a-z]/gi, "")}`, text: role }),
        el("pre", { class: "content", text: messageText(m) + (m.truncated ? "\n[truncated]" : "") }));
    }));
  }
  if (list && list.length && list.every(isPart)) {
    return el("pre", { class: "content", text: list.map(partText).join("\n") });
  }
  return el("pre", { class: "content", text: parsed !== null ? JSON.stringify(parsed, null, 2) : prettyMaybeJson(value) });
}

function spanDetails(span, contentKeys) {
  const attrs = span.attributes || {};
  const content = contentKeys.filter((k) => attrs[k] !== undefined && attrs[k] !== null);
  const overview = kvList([
    ["Name", span.name],
    ["Span ID", el("span", { class: "mono", text: span.span_id })],
    ["Parent", span.parent_span_id ? el("span", { class: "mono", text: span.parent_span_id }) : DASH],
    ["Kind", `${span.span_kind || DASH} (${span.kind})`],
    ["Status", el("span", { class: span.status === "ERROR" ? "status-text error" : "status-text", "data-testid": "span-status",
      text: span.status + (span.error_type ? ` \u2014 ${span.error_type}` : "") })],
    ["Start offset", fmtDuration(span.start_offset_s)],
    ["Duration", fmtDuration(span.duration_s)],
    ["Self time", fmtDuration(span.self_time_s)],
    span.operation ? ["Operation", span.operation] : null,
    span.provider ? ["Provider", span.provider] : null,
    span.model ? ["Model", span.model] : null,
    span.input_tokens !== null || span.output_tokens !== null
      ? ["Tokens in / out", `${fmtInt(span.input_tokens)} / ${fmtInt(span.output_tokens)}`] : null,
    span.ttft_s !== null ? ["Time to first token", fmtDuration(span.ttft_s)] : null,
    attrs["gen_ai.agent.name"] ? ["Agent", attrs["gen_ai.agent.name"]] : null,
    attrs["gen_ai.tool.name"] ? ["Tool", attrs["gen_ai.tool.name"]] : null,
    attrs["gen_ai.tool.call.id"] ? ["Tool call ID", el("span", { class: "mono", text: attrs["gen_ai.tool.call.id"] })] : null,
    attrs["gen_ai.data_source.id"] ? ["Data source", attrs["gen_ai.data_source.id"]] : null,
    attrs[DOCUMENT_COUNT] !== undefined ? ["Documents", fmtInt(Number(attrs[DOCUMENT_COUNT]))] : null,
    ["Started", fmtTime(span.start)],
  ], "span-overview");

  const contentBlock = content.length
    ? content.map((k) => el("div", { class: "content-item", "data-testid": `content-${k}` }, el("div", { class: "content-key mono", text: k }),
        renderContent(attrs[k])))
    : USAGE_KINDS.has(span.span_kind) || span.operation
      ? el("p", { class: "muted", "data-testid": "content-not-captured",
          text: "Content not captured. Start the app with llm_agent.init(capture_content=True) (or LLM_AGENT_CAPTURE_CONTENT=true) to record prompts and completions." })
      : el("p", { class: "muted", "data-testid": "content-none", text: "No content on this span (prompts and completions are on the LLM spans)." });

  const keys = Object.keys(attrs).filter((k) => !content.includes(k)).sort();
  const attrTable = keys.length
    ? el("table", { class: "table attrs", "data-testid": "span-attributes" }, el("tbody", {},
        keys.map((k) => el("tr", { "data-attr": k }, el("td", { class: "mono attr-key", text: k }), el("td", { class: "mono attr-value", text: fmtValue(attrs[k]) })))))
    : el("p", { class: "muted", text: "No attributes." });

  return [
    el("div", { class: "card-head" }, el("h3", { "data-testid": "span-details-name", text: span.name }),
      el("span", { class: `kind-badge k-${kindClass(span)}`, text: span.span_kind || span.kind })),
    overview,
    el("h4", { text: "Content" }),
    el("div", { "data-testid": "span-content" }, contentBlock),
    el("h4", { text: "Attributes" }),
    attrTable,
  ];
}

export async function renderTrace(main, state, isCurrent, metaPromise) {
  const { id, params } = state;
  const sessionId = params.get("session");
  const fromTraces = params.get("from") === "traces";
  const listParams = withParams(params, { session: null, span: null, from: null });
  const crumbs = [fromTraces ? ["Traces", hashFor("traces", null, listParams)] : ["Session analysis", hashFor("sessions", null, listParams)]];
  if (sessionId) crumbs.push([`Session ${sessionId}`, hashFor("session", sessionId, listParams)]);
  crumbs.push([`Trace ${id}`, null]);
  main.append(breadcrumb(crumbs));
  const body = el("div", {}, loading());
  main.append(body);
  let data;
  let meta;
  try {
    [data, meta] = await Promise.all([api(`trace/${encodeURIComponent(id)}`), metaPromise]);
  } catch (err) {
    if (isCurrent()) body.replaceChildren(err.kind === "missing_db" ? missingSink(err) : errorBox(err));
    return;
  }
  if (!isCurrent()) return;
  if (!sessionId && data.session_id && !fromTraces) {
    // Reached from a shared link: offer the way up to the session too.
    main.firstChild.replaceWith(breadcrumb([crumbs[0], [`Session ${data.session_id}`, hashFor("session", data.session_id, listParams)], crumbs[crumbs.length - 1]]));
  }
  const spans = data.spans;
  const total = Math.max(data.duration_s, 1e-9);
  const usage = spans.filter((s) => USAGE_KINDS.has(s.span_kind));
  const sum = (key) => (usage.some((s) => s[key] !== null) ? usage.reduce((a, s) => a + (s[key] || 0), 0) : null);
  const errors = spans.filter((s) => s.status === "ERROR").length;
  const metrics = el("div", { class: "metrics", "data-testid": "trace-summary" },
    metricCard("trace-duration", "Duration", fmtDuration(data.duration_s), data.duration_s),
    metricCard("trace-spans", "Spans", fmtInt(spans.length), spans.length),
    metricCard("trace-llm-calls", "LLM calls", fmtInt(usage.length), usage.length),
    metricCard("trace-input-tokens", "Input tokens", fmtInt(sum("input_tokens")), sum("input_tokens")),
    metricCard("trace-output-tokens", "Output tokens", fmtInt(sum("output_tokens")), sum("output_tokens")),
    metricCard("trace-errors", "Errors", fmtInt(errors), errors));

  // The span named in the URL, else the first failed span (usually why one opens a trace), else the root.
  const failed = spans.find((s) => s.status === "ERROR");
  const selectedId = params.get("span") && spans.some((s) => s.span_id === params.get("span"))
    ? params.get("span") : (failed || spans[0]).span_id;
  const details = el("div", { class: "card details-card", "data-testid": "span-details" });
  const contentKeys = (meta && meta.content_attributes) || [];
  const rowsById = new Map();
  const collapsed = new Set();

  const select = (span) => {
    for (const [sid, row] of rowsById) row.classList.toggle("selected", sid === span.span_id);
    details.replaceChildren(...spanDetails(span, contentKeys));
    // Keep the selection in the URL without a re-render (replaceState fires no hashchange).
    history.replaceState(null, "", hashFor("trace", id, withParams(params, { span: span.span_id })));
    main.setAttribute("data-rendered", location.hash);
  };
  const applyCollapse = () => {
    let hideBelow = Infinity;
    for (const span of spans) {
      const row = rowsById.get(span.span_id);
      if (span.depth > hideBelow) {
        row.hidden = true;
        continue;
      }
      hideBelow = Infinity;
      row.hidden = false;
      if (collapsed.has(span.span_id)) hideBelow = span.depth;
    }
  };

  const rows = spans.map((span) => {
    const left = (span.start_offset_s / total) * 100;
    const width = (span.duration_s / total) * 100;
    const toggle = span.child_count
      ? el("button", { class: "caret", "data-testid": "span-toggle", "aria-label": "Collapse or expand", text: "\u25be",
          onclick: (ev) => {
            ev.stopPropagation();
            if (collapsed.has(span.span_id)) collapsed.delete(span.span_id);
            else collapsed.add(span.span_id);
            ev.currentTarget.textContent = collapsed.has(span.span_id) ? "\u25b8" : "\u25be";
            applyCollapse();
          } })
      : el("span", { class: "caret-space" });
    const status = span.status === "ERROR" ? " status-error" : "";
    const row = el("div", {
      class: `wf-row${status}`, role: "row", tabindex: "0", "data-testid": "span-row", "data-span-id": span.span_id,
      "data-depth": span.depth, "data-start-offset": span.start_offset_s, "data-duration": span.duration_s,
      onclick: () => select(span),
      onkeydown: (ev) => { if (ev.key === "Enter") select(span); },
    },
      el("div", { class: "wf-name", style: { paddingLeft: `${8 + span.depth * 16}px` } },
        toggle,
        el("span", { class: `kind-dot k-${kindClass(span)}`, title: span.span_kind || span.kind }),
        el("span", { class: "wf-label", "data-testid": "span-name", title: span.name, text: span.name }),
        stepLabel(span) ? el("span", { class: "step-tag", "data-testid": "span-step", text: stepLabel(span) }) : null,
        // The error type can be long (openai.InternalServerError): the badge stays short, the name readable.
        span.status === "ERROR" ? el("span", { class: "badge badge-error", title: span.error_type || "error", text: "error" }) : null),
      el("div", { class: "wf-track" },
        el("div", { class: `wf-bar k-${kindClass(span)}${status}`, "data-testid": "span-bar",
          style: { left: `${left}%`, width: `${width}%` }, title: `${span.name}: ${fmtDuration(span.duration_s)} at +${fmtDuration(span.start_offset_s)}` }),
        el("span", { class: `wf-dur${left + width > 80 ? " inside" : ""}`, "data-testid": "span-duration",
          style: left + width > 80 ? { right: `${100 - left - width}%` } : { left: `${left + width}%` }, text: fmtDuration(span.duration_s) })));
    rowsById.set(span.span_id, row);
    return row;
  });

  const legend = el("div", { class: "legend" },
    [["llm", "LLM"], ["embedding", "Embedding"], ["chain", "Chain"], ["agent", "Agent"], ["tool", "Tool"], ["retriever", "Retriever"], ["other", "Other"], ["error", "Error"]]
      .map(([k, label]) => el("span", { class: "legend-item" }, el("span", { class: `swatch k-${k}` }), label)));
  const waterfall = el("div", { class: "card waterfall-card" },
    el("div", { class: "card-head" }, el("h3", { text: `Spans (${spans.length})` }), legend),
    el("div", { class: "waterfall", role: "table", "data-testid": "waterfall" },
      el("div", { class: "wf-row wf-head", role: "row" }, el("div", { class: "wf-name", text: "Span" }), el("div", { class: "wf-track wf-axis" }, ticks(total))),
      rows));

  body.replaceChildren(
    el("div", { class: "page-head" }, el("h1", {}, "Trace ", el("span", { class: "mono title-id", "data-testid": "trace-title", text: data.trace_id })),
      el("p", { class: "subtitle", text: [fmtTime(data.start), data.user_id ? `User ${data.user_id}` : null, data.session_id ? `Session ${data.session_id}` : "No session"].filter(Boolean).join(" \u00b7 ") })),
    metrics,
    el("div", { class: "trace-split" }, waterfall, details),
  );
  const initial = spans.find((s) => s.span_id === selectedId);
  select(initial);
}
