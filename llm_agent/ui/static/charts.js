// Hand-drawn SVG time-series charts (no chart library: the page works offline and stays small).
//
// timeSeriesChart({title, testid, since, until, bucketS, starts, series, format}) returns a card
// element.  `starts` are the bucket start times (ISO); each series is {label, color, values, type}
// with type "bar" or "line"; null values are gaps, never zeros.

import { clear, el, fmtCompact, fmtShortTime, svg } from "./dom.js";

const W = 640;
const H = 220;
const M = { top: 12, right: 14, bottom: 26, left: 52 };

/** Round tick values covering [0, max]: 1, 2, 2.5 or 5 times a power of ten. */
export function niceTicks(max, count = 4, integer = false) {
  if (!(max > 0)) return [0, 1];
  const raw = max / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  let step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((s) => s >= raw) || raw;
  if (integer) step = Math.max(1, Math.ceil(step)); // counts: no 0.25-request gridlines
  const ticks = [];
  for (let v = 0; v <= max + step * 0.5; v += step) ticks.push(Number(v.toPrecision(12)));
  if (ticks[ticks.length - 1] < max) ticks.push(ticks[ticks.length - 1] + step);
  return ticks;
}

export function timeSeriesChart(opts) {
  const { title, testid, series, starts, bucketS } = opts;
  const format = opts.format || fmtCompact;
  const sinceMs = new Date(opts.since).getTime();
  const untilMs = new Date(opts.until).getTime();
  const spanMs = Math.max(untilMs - sinceMs, 1000);
  const times = starts.map((s) => new Date(s).getTime());
  const stepMs = bucketS * 1000;
  const x0 = Math.min(sinceMs, times[0] ?? sinceMs);
  const x1 = Math.max(untilMs, (times[times.length - 1] ?? untilMs) + stepMs);
  const pw = W - M.left - M.right;
  const ph = H - M.top - M.bottom;
  const xAt = (ms) => M.left + ((ms - x0) / (x1 - x0)) * pw;

  const maxValue = Math.max(0, ...series.flatMap((s) => s.values.filter((v) => v !== null && v !== undefined)));
  const ticks = niceTicks(maxValue, 4, Boolean(opts.integer));
  const top = ticks[ticks.length - 1] || 1;
  const yAt = (v) => M.top + ph - (v / top) * ph;

  const root = svg("svg", {
    viewBox: `0 0 ${W} ${H}`,
    class: "chart-svg",
    role: "img",
    "aria-label": title,
    "data-testid": `${testid}-svg`,
  });
  for (const t of ticks) {
    root.appendChild(svg("line", { x1: M.left, x2: W - M.right, y1: yAt(t), y2: yAt(t), class: "grid" }));
    root.appendChild(svg("text", { x: M.left - 6, y: yAt(t) + 4, class: "axis-label", "text-anchor": "end", text: format(t) }));
  }
  const xTickCount = 6;
  for (let i = 0; i <= xTickCount; i++) {
    const ms = x0 + ((x1 - x0) * i) / xTickCount;
    const anchor = i === 0 ? "start" : i === xTickCount ? "end" : "middle";
    root.appendChild(svg("text", { x: xAt(ms), y: H - 8, class: "axis-label", "text-anchor": anchor, text: fmtShortTime(ms, spanMs) }));
  }
  root.appendChild(svg("line", { x1: M.left, x2: W - M.right, y1: M.top + ph, y2: M.top + ph, class: "axis" }));

  const bars = series.filter((s) => s.type === "bar");
  const slot = Math.max(1, xAt(x0 + stepMs) - xAt(x0));
  const barW = Math.max(1, (slot * 0.8) / Math.max(1, bars.length));
  bars.forEach((s, bi) => {
    s.values.forEach((v, i) => {
      if (v === null || v === undefined || v <= 0) return;
      const x = xAt(times[i]) + slot * 0.1 + bi * barW;
      root.appendChild(svg("rect", { x, y: yAt(v), width: barW, height: M.top + ph - yAt(v), fill: s.color, class: "bar" }));
    });
  });
  for (const s of series.filter((s) => s.type !== "bar")) {
    let run = [];
    const flush = () => {
      if (run.length === 1) root.appendChild(svg("circle", { cx: run[0][0], cy: run[0][1], r: 2.5, fill: s.color }));
      else if (run.length > 1)
        root.appendChild(svg("polyline", { points: run.map((p) => p.join(",")).join(" "), stroke: s.color, class: "line" }));
      run = [];
    };
    s.values.forEach((v, i) => {
      if (v === null || v === undefined) flush();
      else run.push([xAt(times[i] + stepMs / 2).toFixed(1), yAt(v).toFixed(1)]);
    });
    flush();
  }

  // Hover: one invisible column per bucket shows that bucket's values.
  const tooltip = el("div", { class: "chart-tooltip", hidden: true });
  const cursor = svg("line", { y1: M.top, y2: M.top + ph, class: "cursor", visibility: "hidden" });
  root.appendChild(cursor);
  times.forEach((t, i) => {
    const hit = svg("rect", { x: xAt(t), y: M.top, width: slot, height: ph, class: "hit" });
    hit.addEventListener("mouseenter", () => {
      const cx = xAt(t + stepMs / 2);
      cursor.setAttribute("x1", cx);
      cursor.setAttribute("x2", cx);
      cursor.setAttribute("visibility", "visible");
      clear(tooltip);
      tooltip.appendChild(el("div", { class: "tt-time", text: new Date(t).toLocaleString() }));
      for (const s of series) {
        const v = s.values[i];
        tooltip.appendChild(
          el("div", { class: "tt-row" }, el("span", { class: "swatch", style: { background: s.color } }),
            `${s.label}: ${v === null || v === undefined ? "\u2014" : format(v)}`),
        );
      }
      tooltip.hidden = false;
      const frac = (cx - M.left) / pw;
      tooltip.style.left = frac > 0.6 ? "" : `${(cx / W) * 100 + 2}%`;
      tooltip.style.right = frac > 0.6 ? `${100 - (cx / W) * 100 + 2}%` : "";
    });
    hit.addEventListener("mouseleave", () => {
      tooltip.hidden = true;
      cursor.setAttribute("visibility", "hidden");
    });
    root.appendChild(hit);
  });

  const legend = el(
    "div",
    { class: "legend" },
    series.map((s) => el("span", { class: "legend-item" }, el("span", { class: "swatch", style: { background: s.color } }), s.label)),
  );
  const empty = maxValue === 0 && series.every((s) => s.values.every((v) => v === null || v === undefined || v === 0));
  return el(
    "div",
    { class: "card chart-card", "data-testid": testid },
    el("div", { class: "card-head" }, el("h3", { text: title }), legend),
    el("div", { class: "chart-body" }, root, tooltip, empty ? el("div", { class: "chart-empty", text: "No data in this window" }) : null),
  );
}
