// Entry point: the top bar, tab switching and the hash router.

import { el } from "./dom.js";
import { renderModels } from "./models.js";
import { renderSession, renderSessions } from "./sessions.js";
import { api, errorBox, hashFor, parseHash, windowParams } from "./state.js";
import { renderTrace } from "./trace.js";
import { renderTraces } from "./traces.js";
import { renderUsers } from "./users.js";

const VIEWS = {
  sessions: { tab: "sessions", render: renderSessions, title: "Session analysis" },
  session: { tab: "sessions", render: renderSession, title: "Session" },
  trace: { tab: "sessions", render: renderTrace, title: "Trace" },
  traces: { tab: "traces", render: renderTraces, title: "Traces" },
  models: { tab: "models", render: renderModels, title: "Model analysis" },
  users: { tab: "users", render: renderUsers, title: "Users" },
};

let generation = 0;

// Fetched once, in parallel with the first view (only the trace view needs it, and awaits it).
const metaPromise = api("meta").then(
  (meta) => {
    const db = document.getElementById("db-path");
    db.textContent = meta.db;
    db.title = `Reading ${meta.db} (read-only)`;
    if (meta.pricing_available === false) {
      // Said once, above every view: costs read unknown until the price table is installed.
      document.body.insertBefore(el("div", { class: "banner", "data-testid": "pricing-hint", text: meta.pricing_hint }),
        document.getElementById("main"));
    }
    return meta;
  },
  () => ({ content_attributes: [], trace_filter_fields: {} }),
);

function updateTabs(state) {
  // A trace opened from the Traces tab keeps that tab lit (from=traces in its URL).
  const fromTraces = state.view === "trace" && state.params.get("from") === "traces";
  const active = fromTraces ? "traces" : (VIEWS[state.view] || VIEWS.sessions).tab;
  // Switching tabs keeps the time window, so both tabs look at the same period.
  const keep = windowParams(state.params);
  for (const tab of document.querySelectorAll("[data-tab]")) {
    const name = tab.getAttribute("data-tab");
    tab.classList.toggle("active", name === active);
    tab.setAttribute("aria-selected", String(name === active));
    tab.setAttribute("href", hashFor(name, null, keep));
  }
}

async function route() {
  const state = parseHash();
  const view = VIEWS[state.view];
  const mine = ++generation;
  const isCurrent = () => mine === generation;
  const main = document.getElementById("main");
  main.replaceChildren();
  main.setAttribute("data-view", view ? state.view : "unknown");
  updateTabs(state);
  if (!view) {
    main.append(errorBox(new Error(`Unknown page "${state.view}".`)));
    return;
  }
  document.title = `${view.title}${state.id ? ` ${state.id}` : ""} \u00b7 llm-agent`;
  try {
    await view.render(main, state, isCurrent, metaPromise);
  } catch (err) {
    if (isCurrent()) main.append(errorBox(err));
    console.error(err);
  } finally {
    if (isCurrent()) {
      // Tests wait for this: the view for exactly this URL has finished loading.
      main.setAttribute("data-rendered", location.hash);
      main.setAttribute("data-ready", "true");
    }
  }
}

window.addEventListener("hashchange", () => {
  document.getElementById("main").removeAttribute("data-ready");
  route();
});

if (!location.hash) history.replaceState(null, "", hashFor("sessions", null, null));
route();
