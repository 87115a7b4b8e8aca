/**
 * A queue's last hour as a tiny SVG: completed tries per minute as a line,
 * failed ones as a second line, on one scale. Built with createElementNS
 * and attributes only (no inline style, so the strict CSP holds).
 */

import { svg } from "./dom.ts";

const W = 120;
const H = 24;

export function sparkline(completed: number[], failed: number[]): SVGElement {
  const max = Math.max(1, ...completed, ...failed);
  const points = (series: number[]) =>
    series.map((v, i) => `${((i / Math.max(1, series.length - 1)) * W).toFixed(1)},${(H - 1 - (v / max) * (H - 2)).toFixed(1)}`).join(" ");
  const total = (s: number[]) => s.reduce((a, b) => a + b, 0);
  return svg(
    "svg",
    { class: "spark", viewBox: `0 0 ${W} ${H}`, width: W, height: H, role: "img", "aria-label": `last hour: ${total(completed)} completed, ${total(failed)} failed` },
    svg("title", {}, `last hour: ${total(completed)} completed, ${total(failed)} failed (peak ${max}/min)`),
    svg("polyline", { class: "spark-ok", points: points(completed), fill: "none" }),
    svg("polyline", { class: "spark-fail", points: points(failed), fill: "none" }),
  );
}
