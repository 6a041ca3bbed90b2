// The session page's transcript: each turn's user message, tool calls (arguments, result) and answer,
// from /api/transcript/<id> (llm_agent.analysis Store.transcript).  Text nodes only, as everywhere.

import { el, fmtTime } from "./dom.js";
import { hashFor } from "./state.js";

/** Compact JSON of a tool's arguments or result (a string as it is). */
function compact(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function bubble(role, label, text, testid) {
  return el("div", { class: `tr-msg tr-${role}`, "data-testid": testid },
    el("div", { class: `role role-${role}`, text: label }),
    el("pre", { class: "content", text }));
}

function toolCall(call) {
  const args = call.arguments === null || call.arguments === undefined ? "\u2026" : compact(call.arguments);
  const outcome = call.error_type
    ? el("div", { class: "tr-result status-text error", text: `\u2190 failed: ${call.error_type}` })
    : call.result !== null && call.result !== undefined
      ? el("pre", { class: "content tr-result", "data-testid": "transcript-tool-result", text: `\u2190 ${compact(call.result)}` })
      : null;
  return el("div", { class: "tr-msg tr-tool", "data-testid": "transcript-tool-call", "data-tool-name": call.name || "" },
    el("div", { class: "role role-tool" }, "tool", call.call_id ? el("span", { class: "mono call-id", text: ` \u00b7 ${call.call_id}` }) : null),
    el("pre", { class: "content", "data-testid": "transcript-tool-args", text: `\u2192 ${call.name || "tool"}(${args})` }),
    outcome);
}

/** The transcript card for ``data`` (a Transcript as JSON); trace links keep ``params``. */
export function transcriptCard(data, sessionId, params) {
  const turns = data.turns.map((turn, i) =>
    el("div", { class: "tr-turn", "data-testid": "transcript-turn", "data-trace-id": turn.trace_id },
      el("div", { class: "tr-head" },
        el("a", { class: "link", href: hashFor("trace", turn.trace_id, params), text: `Turn ${i + 1}` }),
        el("span", { class: "muted", text: ` \u00b7 ${turn.name || turn.trace_id} \u00b7 ${fmtTime(turn.start)}` }),
        turn.errors ? el("span", { class: "badge badge-error", text: `${turn.errors} error${turn.errors === 1 ? "" : "s"}` }) : null),
      turn.user_message !== null ? bubble("user", "user", turn.user_message, "transcript-user") : null,
      turn.tool_calls.map(toolCall),
      turn.answer !== null ? bubble("assistant", "assistant", turn.answer, "transcript-answer") : null));
  return el("div", { class: "card", "data-testid": "transcript" },
    el("div", { class: "card-head" }, el("h3", { text: "Transcript" }),
      el("span", { class: "muted", text: "The conversation as recorded: user messages, tool calls and answers." })),
    data.content_captured ? null : el("p", { class: "muted tr-hint", "data-testid": "transcript-not-captured", text: data.hint }),
    el("div", { class: "tr-turns" }, turns));
}
