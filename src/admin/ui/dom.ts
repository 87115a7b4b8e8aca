/**
 * Building the dashboard's DOM without HTML strings. Everything that comes
 * from jobs (names, payloads, errors, logs) is untrusted, so it only ever
 * becomes a Text node: `h()` turns every string child into text, and there
 * is no innerHTML anywhere in the dashboard. Attributes are set from code
 * only; links are built with `jobHref()` and friends, which encode.
 */

export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string;
  id?: string;
  title?: string;
  href?: string;
  type?: string;
  name?: string;
  value?: string;
  placeholder?: string;
  disabled?: boolean;
  hidden?: boolean;
  checked?: boolean;
  /** Other attributes, set with setAttribute (names from code, never from data). */
  attrs?: Record<string, string>;
  onclick?: (e: MouseEvent) => void;
  oninput?: (e: Event) => void;
  onchange?: (e: Event) => void;
  onsubmit?: (e: SubmitEvent) => void;
}

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, props?: Props | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (props) {
    const { attrs, onclick, oninput, onchange, onsubmit, disabled, hidden, checked, value, ...plain } = props;
    for (const [k, v] of Object.entries(plain)) if (v !== undefined) el.setAttribute(k, String(v));
    for (const [k, v] of Object.entries(attrs ?? {})) el.setAttribute(k, v);
    if (disabled !== undefined) (el as HTMLButtonElement).disabled = disabled;
    if (hidden !== undefined) el.hidden = hidden;
    if (checked !== undefined) (el as HTMLInputElement).checked = checked;
    if (value !== undefined) (el as HTMLInputElement).value = value;
    if (onclick) el.addEventListener("click", onclick as EventListener);
    if (oninput) el.addEventListener("input", oninput);
    if (onchange) el.addEventListener("change", onchange);
    if (onsubmit) el.addEventListener("submit", onsubmit as EventListener);
  }
  append(el, children);
  return el;
}

/** Appends children, strings as Text nodes (never parsed as HTML). */
export function append(el: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.appendChild(typeof c === "object" ? c : document.createTextNode(String(c)));
  }
}

const SVG = "http://www.w3.org/2000/svg";

export function svg(tag: string, attrs: Record<string, string | number>, ...children: (SVGElement | string)[]): SVGElement {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
  return el;
}

export function jobHref(id: string): string {
  return `#/job/${encodeURIComponent(id)}`;
}

export function jobsHref(filters: Record<string, string | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(filters)) if (v) q.set(k, v);
  const s = q.toString();
  return s ? `#/jobs?${s}` : "#/jobs";
}

/** "12s ago", "in 3m", or an ISO time past two days. */
export function ago(then: number | undefined, now = Date.now()): string {
  if (then === undefined) return "-";
  const s = Math.round((now - then) / 1000);
  const fmt = (n: number, unit: string) => (n >= 0 ? `${n}${unit} ago` : `in ${-n}${unit}`);
  if (Math.abs(s) < 60) return fmt(s, "s");
  const m = Math.round(s / 60);
  if (Math.abs(m) < 60) return fmt(m, "m");
  const hr = Math.round(m / 60);
  if (Math.abs(hr) < 48) return fmt(hr, "h");
  return new Date(then).toISOString();
}

export function duration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms) || ms < 0) return "-";
  if (ms < 1_000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1_000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  if (ms < 3_600_000) return `${Math.floor(ms / 60_000)}m ${Math.round((ms % 60_000) / 1_000)}s`;
  return `${Math.floor(ms / 3_600_000)}h ${Math.round((ms % 3_600_000) / 60_000)}m`;
}

export function iso(ms: number | undefined): string {
  return ms === undefined ? "-" : new Date(ms).toISOString().replace("T", " ").replace("Z", " UTC");
}

/** JSON for a <pre>, whatever the value (undefined shows as "-"). */
export function pretty(value: unknown): string {
  if (value === undefined) return "-";
  try {
    return JSON.stringify(value, null, 2) ?? "-";
  } catch {
    return String(value);
  }
}

export function badge(state: string): HTMLElement {
  return h("span", { class: `badge state-${state}` }, state);
}
