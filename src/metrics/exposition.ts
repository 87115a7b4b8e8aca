/**
 * Counters, gauges and histograms with labels, rendered in the Prometheus
 * text exposition format (version 0.0.4). Hand-written instead of
 * prom-client: measured on this build, importing prom-client added ~27 ms to
 * every CLI start (`qworker --version` 112-119 → 142-146 ms, 30 runs each)
 * and ~3 MB of RSS, for the four metric types here, which take ~150 lines.
 * test/helpers/prom-text.ts parses the output strictly in the tests.
 *
 * Recording is an in-memory increment; nothing here does I/O. Every metric
 * bounds its label sets (MAX_SERIES): past it, new label sets are counted
 * in one `_other` series instead of growing without end.
 */

export const CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

/** Label sets one metric keeps before folding new ones into `_other`. */
export const MAX_SERIES = 5_000;
const OTHER = "_other";

type Kind = "counter" | "gauge" | "histogram";

abstract class Metric<V> {
  protected readonly series = new Map<string, { labels: string[]; value: V }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
    readonly kind: Kind,
  ) {
    if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new TypeError(`bad metric name "${name}"`);
    for (const l of labelNames) if (!/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(l) || l.startsWith("__") || l === "le") throw new TypeError(`bad label name "${l}"`);
  }

  protected abstract fresh(): V;

  /** The last label values asked for and their slot: a worker counts one job name and queue after another (~0.3 µs a job saved). */
  private lastValues: readonly string[] | undefined;
  private lastSlot: { labels: string[]; value: V } | undefined;

  /** The value slot for these label values (created at zero on first use). */
  protected slot(values: readonly string[]): { labels: string[]; value: V } {
    const last = this.lastValues;
    if (last && last.length === values.length && last.every((v, i) => v === values[i])) return this.lastSlot!;
    const s = this.findSlot(values);
    this.lastValues = [...values];
    this.lastSlot = s;
    return s;
  }

  private findSlot(values: readonly string[]): { labels: string[]; value: V } {
    if (values.length !== this.labelNames.length) throw new TypeError(`${this.name} takes labels ${this.labelNames.join(", ")}; got ${values.length} value(s)`);
    let key = values.join("\u0000");
    let s = this.series.get(key);
    if (!s) {
      let labels = [...values];
      if (this.series.size >= MAX_SERIES) {
        // The one series past the bound: every further label set lands here.
        labels = values.map(() => OTHER);
        key = labels.join("\u0000");
        s = this.series.get(key);
        if (s) return s;
      }
      s = { labels, value: this.fresh() };
      this.series.set(key, s);
    }
    return s;
  }

  /** Forgets every series (gauges refilled from a fresh read). */
  reset(): void {
    this.series.clear();
    this.lastValues = this.lastSlot = undefined;
  }

  render(out: string[]): void {
    out.push(`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.kind}`);
    for (const s of this.series.values()) this.renderSeries(out, s.labels, s.value);
  }

  protected abstract renderSeries(out: string[], labels: string[], value: V): void;

  protected labelText(values: readonly string[], extra?: [string, string]): string {
    const pairs = this.labelNames.map((n, i) => `${n}="${escapeLabel(values[i])}"`);
    if (extra) pairs.push(`${extra[0]}="${escapeLabel(extra[1])}"`);
    return pairs.length ? `{${pairs.join(",")}}` : "";
  }
}

export class Counter extends Metric<{ n: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    if (!name.endsWith("_total")) throw new TypeError(`counter "${name}" must end in _total`);
    super(name, help, labelNames, "counter");
  }
  protected fresh() {
    return { n: 0 };
  }
  inc(values: readonly string[] = [], by = 1): void {
    if (!(by >= 0)) throw new RangeError(`${this.name}: a counter only goes up (got ${by})`);
    this.slot(values).value.n += by;
  }
  get(values: readonly string[] = []): number {
    return this.series.get(values.join("\u0000"))?.value.n ?? 0;
  }
  protected renderSeries(out: string[], labels: string[], v: { n: number }): void {
    out.push(`${this.name}${this.labelText(labels)} ${num(v.n)}`);
  }
}

export class Gauge extends Metric<{ n: number }> {
  constructor(name: string, help: string, labelNames: readonly string[] = []) {
    super(name, help, labelNames, "gauge");
  }
  protected fresh() {
    return { n: 0 };
  }
  set(values: readonly string[], n: number): void {
    this.slot(values).value.n = n;
  }
  protected renderSeries(out: string[], labels: string[], v: { n: number }): void {
    out.push(`${this.name}${this.labelText(labels)} ${num(v.n)}`);
  }
}

interface HistogramValue {
  counts: Float64Array;
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramValue> {
  private readonly bounds: number[];

  constructor(name: string, help: string, labelNames: readonly string[], buckets: readonly number[]) {
    super(name, help, labelNames, "histogram");
    this.bounds = [...buckets].sort((a, b) => a - b);
    if (this.bounds.some((b, i) => !Number.isFinite(b) || (i > 0 && b === this.bounds[i - 1]))) throw new TypeError(`${name}: buckets must be finite and distinct`);
  }
  protected fresh(): HistogramValue {
    return { counts: new Float64Array(this.bounds.length), sum: 0, count: 0 };
  }
  observe(values: readonly string[], v: number): void {
    if (!Number.isFinite(v)) return;
    const h = this.slot(values).value;
    // The first bucket whose bound holds v; cumulative sums are made when rendering.
    let i = 0;
    while (i < this.bounds.length && v > this.bounds[i]) i++;
    if (i < this.bounds.length) h.counts[i]++;
    h.sum += v;
    h.count++;
  }
  protected renderSeries(out: string[], labels: string[], h: HistogramValue): void {
    let cumulative = 0;
    for (let i = 0; i < this.bounds.length; i++) {
      cumulative += h.counts[i];
      out.push(`${this.name}_bucket${this.labelText(labels, ["le", num(this.bounds[i])])} ${num(cumulative)}`);
    }
    out.push(`${this.name}_bucket${this.labelText(labels, ["le", "+Inf"])} ${num(h.count)}`);
    out.push(`${this.name}_sum${this.labelText(labels)} ${num(h.sum)}`);
    out.push(`${this.name}_count${this.labelText(labels)} ${num(h.count)}`);
  }
}

/** The metrics of one process, rendered in registration order. */
export class MetricsRegistry {
  private readonly metrics: Metric<any>[] = [];
  private readonly names = new Set<string>();

  add<M extends Metric<any>>(metric: M): M {
    if (this.names.has(metric.name)) throw new TypeError(`metric "${metric.name}" is registered twice`);
    this.names.add(metric.name);
    this.metrics.push(metric);
    return metric;
  }

  render(): string {
    const out: string[] = [];
    for (const m of this.metrics) m.render(out);
    return out.join("\n") + "\n";
  }
}

function num(n: number): string {
  if (Number.isNaN(n)) return "NaN";
  if (n === Infinity) return "+Inf";
  if (n === -Infinity) return "-Inf";
  return String(n);
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n");
}
