/**
 * Turns the PostgreSQL bench's rounds into what people read: per scenario,
 * the median (min–max) jobs/s of qworker, of pg-boss in its best
 * configuration and of BullMQ's PostgreSQL backend, and qworker's ratio to
 * the faster of the two. Pure functions: run.ts does the I/O.
 */

import { spread, type Spread } from "../stats.ts";
import type { PgBenchResult, PgScenario, PgSystem } from "./types.ts";

export type RoundResult = PgBenchResult & { round: number; wallMs: number; stealPct: number };

export interface PeerFigure {
  /** The configuration with the highest median (pg-boss has several). */
  system: PgSystem;
  rate: Spread;
}

export interface Row {
  scenario: PgScenario;
  label: string;
  qworker: Spread;
  /** qworker's drain measured inside the database: first claim to last completion. */
  qworkerDbWindow?: Spread;
  /** qworker's bulk enqueue straight into the store, without request validation. */
  qworkerRawStore?: Spread;
  /** qworker's drain with postgresAsyncOutcomes off (every commit waits for the WAL flush, as the peers'), and its ratio. */
  qworkerSync?: Spread;
  syncRatio?: number;
  pgboss?: PeerFigure;
  /** Every pg-boss configuration tried, best first. */
  pgbossAll: PeerFigure[];
  bullmq?: PeerFigure;
  /** qworker / the faster peer (median over median). */
  ratio?: number;
  fasterPeer?: string;
}

const LABELS: Record<PgScenario, string> = {
  bulk: "enqueue bulk (1,000/call)",
  one: "enqueue one-by-one",
  drain: "drain, no-op, concurrency 50",
};

function rates(results: RoundResult[], system: PgSystem, scenario: PgScenario, metric = "jobsPerSec"): Spread {
  return spread(results.filter((r) => r.system === system && r.scenario === scenario && !r.error).map((r) => r.metrics[metric]));
}

export function reportRows(results: RoundResult[]): Row[] {
  return (["bulk", "one", "drain"] as PgScenario[]).map((scenario) => {
    const pgbossAll = (["pgboss-work", "pgboss-work-big", "pgboss-fetch"] as PgSystem[])
      .map((system) => ({ system, rate: rates(results, system, scenario) }))
      .filter((f) => f.rate.n > 0)
      .sort((a, b) => b.rate.median - a.rate.median);
    const bull = rates(results, "bullmq", scenario);
    const row: Row = { scenario, label: LABELS[scenario], qworker: rates(results, "qworker", scenario), pgbossAll, pgboss: pgbossAll[0] };
    if (bull.n > 0) row.bullmq = { system: "bullmq", rate: bull };
    if (scenario === "drain") {
      row.qworkerDbWindow = rates(results, "qworker", scenario, "dbWindowJobsPerSec");
      row.qworkerSync = rates(results, "qworker-sync", scenario);
    }
    if (scenario === "bulk") row.qworkerRawStore = rates(results, "qworker", scenario, "storeJobsPerSec");
    const peers = [row.pgboss, row.bullmq].filter((f): f is PeerFigure => f !== undefined).sort((a, b) => b.rate.median - a.rate.median);
    if (peers.length && row.qworker.n > 0) {
      row.fasterPeer = scenario === "drain" ? peerName(peers[0].system) : enqueuePeerName(peers[0].system);
      row.ratio = row.qworker.median / peers[0].rate.median;
      if (row.qworkerSync && row.qworkerSync.n > 0) row.syncRatio = row.qworkerSync.median / peers[0].rate.median;
    }
    return row;
  });
}

/** Enqueues do not depend on the drain configuration: pg-boss is pg-boss there. */
function enqueuePeerName(system: PgSystem): string {
  return system.startsWith("pgboss") ? "pg-boss" : peerName(system);
}

export function peerName(system: PgSystem): string {
  if (system === "bullmq") return "BullMQ (PostgreSQL)";
  if (system === "pgboss-fetch") return "pg-boss (fetch/complete loops)";
  if (system === "pgboss-work-big") return "pg-boss (work(), batch 500)";
  if (system === "qworker-sync") return "qworker (postgresAsyncOutcomes off)";
  return system === "pgboss-work" ? "pg-boss (work(), batch 50)" : "qworker";
}

const fmt = (s: Spread | undefined) =>
  !s || s.n === 0 ? "–" : `${Math.round(s.median).toLocaleString("en-US")} (${Math.round(s.min).toLocaleString("en-US")}–${Math.round(s.max).toLocaleString("en-US")})`;
const short = (s: Spread | undefined) => (!s || s.n === 0 ? "–" : `${Math.round(s.median).toLocaleString("en-US")} jobs/s`);

export function textReport(rows: Row[], rounds: number): string {
  const out = [`\nPOSTGRES: jobs/s, median (min–max) of ${rounds} round(s)`];
  for (const r of rows) {
    out.push(`\n${r.label}`);
    out.push(`  qworker                          ${fmt(r.qworker)}`);
    if (r.qworkerDbWindow) out.push(`    (first claim → last completion ${fmt(r.qworkerDbWindow)})`);
    if (r.qworkerRawStore) out.push(`    (straight into store.enqueue, no validation ${fmt(r.qworkerRawStore)})`);
    if (r.qworkerSync && r.qworkerSync.n > 0) out.push(`  qworker, postgresAsyncOutcomes off ${fmt(r.qworkerSync)}${r.syncRatio !== undefined ? `: ${r.syncRatio.toFixed(2)}× the faster peer` : ""}`);
    for (const f of r.pgbossAll) out.push(`  ${(r.scenario === "drain" ? peerName(f.system) : enqueuePeerName(f.system)).padEnd(33)}${fmt(f.rate)}`);
    if (r.bullmq) out.push(`  ${"BullMQ (PostgreSQL backend)".padEnd(33)}${fmt(r.bullmq.rate)}`);
    if (r.ratio !== undefined) out.push(`  qworker / ${r.fasterPeer}: ${r.ratio.toFixed(2)}×`);
  }
  const drain = rows.find((r) => r.scenario === "drain");
  if (drain?.ratio !== undefined) out.push(`\ntarget: drain ≥ 2× the faster peer: ${drain.ratio >= 2 ? "met" : "missed"} (${drain.ratio.toFixed(2)}×)`);
  return out.join("\n");
}

export function markdownTable(rows: Row[], meta: { rounds: number; machine: string; date: string }): string {
  const lines = [
    `PostgreSQL, ${meta.date}, ${meta.machine}, medians of ${meta.rounds} rounds; "×" is qworker over the faster peer:`,
    "",
    "| metric | qworker | pg-boss (best config) | BullMQ (PostgreSQL) | × |",
    "|---|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const boss = r.pgboss ? `${short(r.pgboss.rate)}${r.scenario === "drain" ? ` (${peerName(r.pgboss.system).replace(/^pg-boss \((.*)\)$/, "$1")})` : ""}` : "–";
    lines.push(`| ${r.label} | ${short(r.qworker)} | ${boss} | ${short(r.bullmq?.rate)} | ${r.ratio !== undefined ? `${r.ratio.toFixed(2)}×` : "–"} |`);
    if (r.qworkerSync && r.qworkerSync.n > 0) {
      lines.push(`| ${r.label}, postgresAsyncOutcomes off | ${short(r.qworkerSync)} | ${boss} | ${short(r.bullmq?.rate)} | ${r.syncRatio !== undefined ? `${r.syncRatio.toFixed(2)}×` : "–"} |`);
    }
  }
  return lines.join("\n");
}
