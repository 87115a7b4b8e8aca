/**
 * The hand-written Prometheus exposition (src/metrics/exposition.ts),
 * checked by the strict parser the e2e scrape uses: counters, gauges and
 * histograms render in the text format, label values are escaped, label
 * sets are bounded, and the qworker set counts a pool's finished tries.
 */

import { expect, test } from "bun:test";
import { Counter, Gauge, Histogram, MAX_SERIES, MetricsRegistry } from "../../src/metrics/exposition.ts";
import { QworkerMetrics } from "../../src/metrics/qworker-metrics.ts";
import { TypedEmitter } from "../../src/core/service.ts";
import type { SchedulerEvents } from "../../src/scheduler/scheduler.ts";
import type { PoolEvents } from "../../src/worker/pool.ts";
import { waitFor } from "../helpers/wait.ts";
import { parsePromText, sample } from "../helpers/prom-text.ts";

test("counters, gauges and histograms render as the text format; the parser reads them back", () => {
  const r = new MetricsRegistry();
  const c = r.add(new Counter("x_total", "things\nseen", ["job"]));
  const g = r.add(new Gauge("y", "level", []));
  const hist = r.add(new Histogram("z_seconds", "time", ["job"], [0.1, 1]));
  c.inc(['we"ird\\name\n']);
  c.inc(["a"], 2);
  g.set([], -1.5);
  hist.observe(["a"], 0.05);
  hist.observe(["a"], 0.5);
  hist.observe(["a"], 5);
  const text = r.render();
  expect(text).toContain("# HELP x_total things\\nseen");
  expect(text).toContain('x_total{job="we\\"ird\\\\name\\n"} 1');
  const m = parsePromText(text);
  expect(sample(m, "x_total", { job: 'we"ird\\name\n' })).toBe(1);
  expect(sample(m, "x_total", { job: "a" })).toBe(2);
  expect(sample(m, "y", {})).toBe(-1.5);
  expect(sample(m, "z_seconds_bucket", { job: "a", le: "0.1" })).toBe(1);
  expect(sample(m, "z_seconds_bucket", { job: "a", le: "1" })).toBe(2);
  expect(sample(m, "z_seconds_bucket", { job: "a", le: "+Inf" })).toBe(3);
  expect(sample(m, "z_seconds_count", { job: "a" })).toBe(3);
  expect(sample(m, "z_seconds_sum", { job: "a" })).toBeCloseTo(5.55);
  expect(m.get("z_seconds")?.type).toBe("histogram");
});

test("a counter never goes down, names are checked, and label sets past the bound fold into _other", () => {
  const c = new Counter("n_total", "n", ["k"]);
  expect(() => c.inc(["a"], -1)).toThrow(RangeError);
  expect(() => new Counter("bad name_total", "x")).toThrow(TypeError);
  expect(() => new Counter("no_suffix", "x")).toThrow(TypeError);
  for (let i = 0; i < MAX_SERIES + 10; i++) c.inc([String(i)]);
  expect(c.get(["_other"])).toBe(10);
});

test("the strict parser refuses what Prometheus would: a sample before its TYPE, a bad value, a duplicate series", () => {
  expect(() => parsePromText("x 1\n")).toThrow(/no TYPE/);
  expect(() => parsePromText("# TYPE x counter\nx one\n")).toThrow(/value/);
  expect(() => parsePromText('# TYPE x gauge\nx{a="1"} 1\nx{a="1"} 2\n')).toThrow(/twice/);
  expect(() => parsePromText('# TYPE x gauge\nx{a="1} 1\n')).toThrow();
  expect(() => parsePromText("# TYPE x gauge\nx 1")).toThrow(/newline/);
});

test("the qworker set counts each finished try once, by job and queue, with run and wait times", async () => {
  const metrics = new QworkerMetrics(() => ({ version: "1.2.3", commit: "abc" }));
  const events = new TypedEmitter<PoolEvents>();
  metrics.observePool(events);
  const end = (outcome: PoolEvents["job:end"]["outcome"], name = "mail") =>
    events.emit("job:end", { id: "1", name, queue: "default", attempt: 1, outcome, durationMs: 250, waitMs: 1500 });
  end("complete");
  end("complete");
  end("retry");
  end("fail");
  end("release");
  end("drop");
  end("complete", "report");
  metrics.countEnqueued({ name: "mail", queue: "default" });
  const m = parsePromText(await metrics.render());
  const mail = { job: "mail", queue: "default" };
  expect(sample(m, "qworker_jobs_completed_total", mail)).toBe(2);
  expect(sample(m, "qworker_jobs_retried_total", mail)).toBe(1);
  expect(sample(m, "qworker_jobs_failed_total", mail)).toBe(1);
  expect(sample(m, "qworker_jobs_enqueued_total", mail)).toBe(1);
  expect(sample(m, "qworker_job_run_seconds_count", mail)).toBe(4);
  expect(sample(m, "qworker_job_run_seconds_bucket", { ...mail, le: "0.25" })).toBe(4);
  expect(sample(m, "qworker_job_wait_seconds_bucket", { ...mail, le: "1" })).toBe(0);
  expect(sample(m, "qworker_job_wait_seconds_bucket", { ...mail, le: "2.5" })).toBe(4);
  expect(sample(m, "qworker_jobs_completed_total", { job: "report", queue: "default" })).toBe(1);
  expect(sample(m, "qworker_info", { version: "1.2.3", commit: "abc" })).toBe(1);
  expect(sample(m, "process_resident_memory_bytes", {})).toBeGreaterThan(0);
});

test("the scheduler's rescues count as stalled (and failed past maxStalls) with their job's labels; its cron slots as enqueued", async () => {
  const metrics = new QworkerMetrics();
  const events = new TypedEmitter<SchedulerEvents>();
  const jobs: Record<string, { name: string; queue: string }> = { "1": { name: "mail", queue: "default" }, "2": { name: "mail", queue: "default" }, "3": { name: "pdf", queue: "low" } };
  let lookups = 0;
  metrics.observeScheduler(events, {
    schedule: (name) => (name === "nightly" ? { name: "report", queue: "low" } : undefined),
    job: async (id) => {
      lookups++;
      return jobs[id];
    },
  });
  events.emit("rescue:done", { rescued: [], failed: [] });
  events.emit("rescue:done", { rescued: ["1", "2", "gone"], failed: ["3"] });
  events.emit("cron:enqueued", { schedule: "nightly", slot: 1, id: "cron:nightly:1" });
  events.emit("cron:enqueued", { schedule: "unknown", slot: 1, id: "cron:unknown:1" });
  await waitFor(() => lookups === 4);
  const m = parsePromText(await metrics.render());
  expect(sample(m, "qworker_jobs_stalled_total", { job: "mail", queue: "default" })).toBe(2);
  expect(sample(m, "qworker_jobs_stalled_total", { job: "unknown", queue: "unknown" })).toBe(1);
  expect(sample(m, "qworker_jobs_stalled_total", { job: "pdf", queue: "low" })).toBe(1);
  expect(sample(m, "qworker_jobs_failed_total", { job: "pdf", queue: "low" })).toBe(1);
  expect(sample(m, "qworker_jobs_enqueued_total", { job: "report", queue: "low" })).toBe(1);
});
