/**
 * Turns the per-round results into what people read: per store, the median
 * (min–max) of every figure for qworker and its peer and the ratio, the
 * pass/fail line of each target from issues 2 and 3, and a Markdown table
 * for the README. Pure functions: run.ts does the I/O.
 */

import type { BinaryResult } from "./binary.ts";
import { spread, type Spread } from "./stats.ts";
import type { ScenarioName, ScenarioResult, StoreName, SystemName } from "./types.ts";

/** One child's result as the orchestrator saw it: which round, how long, and how much CPU the VM's other tenants stole meanwhile. */
export type RoundResult = ScenarioResult & { round: number; wallMs: number; stealPct: number };

export const PEER: Record<StoreName, { system: SystemName; label: string }> = {
  memory: { system: "bunqueue", label: "bunqueue (embedded, in-memory)" },
  sqlite: { system: "bunqueue", label: "bunqueue (embedded, SQLite)" },
  redis: { system: "bullmq", label: "BullMQ on Node, same redis-server, qworker's retention (removeOnComplete 1,000, removeOnFail 7 days)" },
};

/** Further peers, compared in a table of their own (only the scenarios they ran). */
export const EXTRA_PEERS: Partial<Record<StoreName, { system: SystemName; label: string }[]>> = {
  redis: [{ system: "bullmq-defaults", label: "BullMQ on Node with its default options (keeps every job)" }],
};

const peersOf = (store: StoreName) => [PEER[store], ...(EXTRA_PEERS[store] ?? [])];

interface MetricDef {
  label: string;
  scenario: ScenarioName;
  /** A key of `metrics`, or "peakRssMb" for the child's peak RSS. */
  metric: string;
  /** The peer's figure to compare with, when it has another name. */
  peerMetric?: string;
  higherIsBetter: boolean;
  unit: "jobs/s" | "ms" | "µs" | "MB" | "B";
  stores?: StoreName[];
  /** No peer figure exists (say why in the notes). */
  qworkerOnly?: boolean;
}

const METRICS: MetricDef[] = [
  { label: "enqueue bulk (1,000/call)", scenario: "bulk", metric: "jobsPerSec", higherIsBetter: true, unit: "jobs/s" },
  { label: "  same, raw store.enqueue", scenario: "bulk", metric: "storeJobsPerSec", peerMetric: "jobsPerSec", higherIsBetter: true, unit: "jobs/s" },
  { label: "enqueue one-by-one", scenario: "one", metric: "jobsPerSec", higherIsBetter: true, unit: "jobs/s" },
  { label: "drain, no-op, concurrency 50", scenario: "drain", metric: "jobsPerSec", higherIsBetter: true, unit: "jobs/s" },
  { label: "drain CPU per job, worker process", scenario: "drain", metric: "cpuUsPerJob", higherIsBetter: false, unit: "µs" },
  { label: "drain CPU per job, redis-server", scenario: "drain", metric: "redisCpuUsPerJob", higherIsBetter: false, unit: "µs", stores: ["redis"] },
  { label: "enqueue→start p50, idle worker, same process", scenario: "latency", metric: "p50Ms", higherIsBetter: false, unit: "ms" },
  { label: "enqueue→start p99, idle worker, same process", scenario: "latency", metric: "p99Ms", higherIsBetter: false, unit: "ms" },
  { label: "enqueue→start p50, across processes", scenario: "xlatency", metric: "p50Ms", higherIsBetter: false, unit: "ms", stores: ["sqlite"], qworkerOnly: true },
  { label: "enqueue→start p99, across processes", scenario: "xlatency", metric: "p99Ms", higherIsBetter: false, unit: "ms", stores: ["sqlite"], qworkerOnly: true },
  { label: "peak RSS, drain process", scenario: "drain", metric: "peakRssMb", higherIsBetter: false, unit: "MB", stores: ["memory", "sqlite"] },
  { label: "peak RSS, worker process (drain)", scenario: "drain", metric: "workerRssMb", higherIsBetter: false, unit: "MB", stores: ["redis"] },
  { label: "peak RSS, idle worker (latency run)", scenario: "latency", metric: "peakRssMb", higherIsBetter: false, unit: "MB" },
  { label: "peak RSS, worker process (cross-process run)", scenario: "xlatency", metric: "workerPeakRssMb", higherIsBetter: false, unit: "MB", stores: ["sqlite"], qworkerOnly: true },
  { label: "Redis memory per waiting job", scenario: "redismem", metric: "bytesPerJob", higherIsBetter: false, unit: "B", stores: ["redis"] },
];

export interface Row {
  store: StoreName;
  /** The peer this row compares with. */
  peerSystem: SystemName;
  label: string;
  unit: string;
  qworker: Spread;
  peer?: Spread;
  /** >1 means qworker is better (faster, or lower latency/memory). */
  advantage?: number;
}

export interface Target {
  name: string;
  pass: boolean | undefined;
  detail: string;
}

function values(results: RoundResult[], system: SystemName, store: StoreName, scenario: ScenarioName, metric: string): number[] {
  return results
    .filter((r) => r.system === system && r.store === store && r.scenario === scenario && !r.error)
    .map((r) => (metric === "peakRssMb" ? r.peakRssMb : r.metrics[metric]))
    .filter((v) => typeof v === "number" && Number.isFinite(v));
}

export function buildRows(results: RoundResult[], stores: StoreName[]): Row[] {
  const rows: Row[] = [];
  for (const store of stores) {
    peersOf(store).forEach(({ system: peer }, i) => {
      const extra = i > 0;
      for (const m of METRICS) {
        if (m.stores && !m.stores.includes(store)) continue;
        if (extra && (m.qworkerOnly || !results.some((r) => r.store === store && r.system === peer && r.scenario === m.scenario))) continue;
        const qw = spread(values(results, "qworker", store, m.scenario, m.metric));
        if (qw.n === 0 && !results.some((r) => r.store === store && r.scenario === m.scenario)) continue;
        const row: Row = { store, peerSystem: peer, label: m.label, unit: m.unit, qworker: qw };
        if (!m.qworkerOnly) {
          row.peer = spread(values(results, peer, store, m.scenario, m.peerMetric ?? m.metric));
          row.advantage = m.higherIsBetter ? qw.median / row.peer.median : row.peer.median / qw.median;
        }
        rows.push(row);
      }
    });
  }
  return rows;
}

const find = (rows: Row[], store: StoreName, label: string) => rows.find((r) => r.store === store && r.peerSystem === PEER[store].system && r.label === label);

/** qworker/peer for one scenario and metric within each round (the two ran back to back), in round order. */
function pairedRatios(results: RoundResult[], store: StoreName, scenario: ScenarioName, metric: string): number[] {
  const rounds = [...new Set(results.map((r) => r.round))].sort((a, b) => a - b);
  return rounds
    .map((round) => {
      const inRound = results.filter((r) => r.round === round);
      const qw = values(inRound, "qworker", store, scenario, metric)[0];
      const peer = values(inRound, PEER[store].system, store, scenario, metric)[0];
      return qw / peer;
    })
    .filter(Number.isFinite);
}

export function buildTargets(rows: Row[], stores: StoreName[], binary: BinaryResult[], results: RoundResult[] = []): Target[] {
  const targets: Target[] = [];
  const ratio = (name: string, store: StoreName, label: string, scenario: ScenarioName, min: number) => {
    const a = find(rows, store, label)?.advantage;
    const perRound = pairedRatios(results, store, scenario, "jobsPerSec");
    const rounds = perRound.length > 1 ? `; per round ${perRound.map((x) => `${x.toFixed(1)}×`).join(", ")}` : "";
    targets.push({ name, pass: a === undefined || !Number.isFinite(a) ? undefined : a >= min, detail: a === undefined || !Number.isFinite(a) ? "no data" : `${a.toFixed(1)}×${rounds}` });
  };
  if (stores.includes("memory")) ratio("memory drain ≥3× bunqueue", "memory", "drain, no-op, concurrency 50", "drain", 3);
  if (stores.includes("sqlite")) {
    ratio("sqlite drain ≥5× bunqueue", "sqlite", "drain, no-op, concurrency 50", "drain", 5);
    const x = find(rows, "sqlite", "enqueue→start p99, across processes")?.qworker.median;
    targets.push({ name: "sqlite enqueue-to-start p99 < 250 ms across processes", pass: x === undefined || !Number.isFinite(x) ? undefined : x < 250, detail: fmt(x, "ms") + " ms" });
  }
  if (binary.length) {
    const h = spread(binary.map((b) => b.healthMs));
    const rss = spread(binary.map((b) => b.idleRssMb));
    targets.push({ name: "qworker run answers /health < 300 ms after spawn", pass: h.n ? h.median < 300 : undefined, detail: `${fmt(h.median, "ms")} ms` });
    targets.push({ name: "qworker run idle RSS < 60 MB", pass: rss.n ? rss.median < 60 : undefined, detail: `${fmt(rss.median, "MB")} MB` });
  }
  if (stores.includes("redis")) {
    ratio("redis drain ≥3× BullMQ", "redis", "drain, no-op, concurrency 50", "drain", 3);
    ratio("redis bulk enqueue ≥2× BullMQ", "redis", "enqueue bulk (1,000/call)", "bulk", 2);
    const lat = find(rows, "redis", "enqueue→start p99, idle worker, same process");
    targets.push({
      name: "redis latency p99 ≤ BullMQ",
      pass: lat?.peer && lat.qworker.n && lat.peer.n ? lat.qworker.median <= lat.peer.median : undefined,
      detail: lat?.peer ? `${fmt(lat.qworker.median, "ms")} ms vs ${fmt(lat.peer.median, "ms")} ms` : "no data",
    });
    const mem = find(rows, "redis", "Redis memory per waiting job");
    targets.push({
      name: "redis bytes/job ≤ BullMQ",
      pass: mem?.peer && mem.qworker.n && mem.peer.n ? mem.qworker.median <= mem.peer.median : undefined,
      detail: mem?.peer ? `${fmt(mem.qworker.median, "B")} B vs ${fmt(mem.peer.median, "B")} B` : "no data",
    });
  }
  return targets;
}

export function fmt(v: number | undefined, unit: string): string {
  if (v === undefined || !Number.isFinite(v)) return "–";
  if (unit === "jobs/s" || unit === "B") return Math.round(v).toLocaleString("en-US");
  if (unit === "MB") return v.toFixed(0);
  return v < 10 ? v.toFixed(2) : v.toFixed(1);
}

const cell = (s: Spread | undefined, unit: string) => (!s || s.n === 0 ? "–" : s.n === 1 ? fmt(s.median, unit) : `${fmt(s.median, unit)} (${fmt(s.min, unit)}–${fmt(s.max, unit)})`);
const adv = (a: number | undefined) => (a === undefined ? "(no peer)" : Number.isFinite(a) ? `${a.toFixed(2)}×` : "–");

export function textReport(rows: Row[], stores: StoreName[], targets: Target[], binary: BinaryResult[], rounds: number): string {
  const out: string[] = [];
  for (const store of stores) {
    for (const peer of peersOf(store)) {
      const mine = rows.filter((r) => r.store === store && r.peerSystem === peer.system);
      if (mine.length === 0) continue;
      const head = ["metric", "unit", "qworker", peer.system, "qworker advantage"];
      const body = mine.map((r) => [r.label, r.unit, cell(r.qworker, r.unit), cell(r.peer, r.unit), adv(r.advantage)]);
      const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
      const line = (cols: string[]) => cols.map((c, i) => (i >= 2 ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join("  ");
      out.push("", `${store.toUpperCase()} — peer: ${peer.label}; median (min–max) of ${rounds} round(s); advantage = qworker/peer for rates, peer/qworker for ms/MB/B (>1 = qworker better)`);
      out.push(line(head), widths.map((w) => "-".repeat(w)).join("  "), ...body.map(line));
    }
  }
  if (binary.length) {
    const h = spread(binary.map((b) => b.healthMs));
    const r = spread(binary.map((b) => b.idleRssMb));
    out.push("", `BINARY — dist/qworker run (sqlite, empty jobs dir): spawn → first /health 200: ${cell(h, "ms")} ms; idle RSS after 2 s: ${cell(r, "MB")} MB`);
  }
  out.push("", "TARGETS");
  for (const t of targets) out.push(`${t.name}: ${t.pass === undefined ? "N/A" : t.pass ? "PASS" : "FAIL"} (${t.detail})`);
  return out.join("\n");
}

export function markdownReport(rows: Row[], targets: Target[], binary: BinaryResult[], meta: { rounds: number; machine: string; date: string }): string {
  const out: string[] = [];
  out.push(`Medians of ${meta.rounds} round${meta.rounds === 1 ? "" : "s"}, ${meta.machine}, ${meta.date}. "×" = qworker's advantage (rates: qworker/peer; latency and memory: peer/qworker; >1 = qworker better).`, "");
  out.push("| store | metric | qworker | peer | × |", "|---|---|---:|---:|---:|");
  for (const r of rows) {
    const peer = r.peer ? `${fmt(r.peer.median, r.unit)} ${r.unit} (${r.peerSystem})` : "–";
    out.push(`| ${r.store} | ${r.label.trim()} | ${fmt(r.qworker.median, r.unit)} ${r.unit} | ${peer} | ${r.advantage === undefined ? "–" : `${r.advantage.toFixed(2)}×`} |`);
  }
  if (binary.length) {
    out.push(`| binary | \`qworker run\` spawn → /health 200 | ${fmt(spread(binary.map((b) => b.healthMs)).median, "ms")} ms | – | – |`);
    out.push(`| binary | \`qworker run\` idle RSS | ${fmt(spread(binary.map((b) => b.idleRssMb)).median, "MB")} MB | – | – |`);
  }
  out.push("", ...targets.map((t) => `- ${t.name}: **${t.pass === undefined ? "N/A" : t.pass ? "PASS" : "FAIL"}** (${t.detail})`));
  return out.join("\n");
}
