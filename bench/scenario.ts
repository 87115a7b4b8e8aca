/**
 * One measurement in a fresh process, so RSS, heap and JIT state never leak
 * from one system into the next: `bun bench/scenario.ts <store> <system>
 * <scenario> '<params JSON>'` (BullMQ runs under Node: bullmq-node.ts). Prints exactly one line, `BENCH_RESULT {…}`,
 * on stdout (errors included, as `error`), and exits.
 */

import * as bq from "./bunqueue-scenarios.ts";
import * as qw from "./qworker-scenarios.ts";
import { xlatency } from "./xproc-latency.ts";
import { RssPeak } from "./stats.ts";
import { RESULT_TAG, type ScenarioName, type ScenarioParams, type ScenarioResult, type StoreName, type SystemName } from "./types.ts";

const [store, system, scenario, json] = process.argv.slice(2) as [StoreName, SystemName, ScenarioName, string];
const params = JSON.parse(json ?? "{}") as ScenarioParams;
const rss = new RssPeak();
const notes: string[] = [];

async function dispatch(): Promise<Record<string, number>> {
  const key = `${system}/${scenario}`;
  switch (key) {
    case "qworker/bulk": return qw.bulk(store, params);
    case "qworker/one": return qw.one(store, params);
    case "qworker/drain": return qw.drain(store, params, notes);
    case "qworker/latency": return qw.latency(store, params);
    case "qworker/xlatency": return xlatency(params);
    case "qworker/redismem": return qw.redismem(params);
    case "bunqueue/bulk": return bq.bulk(store, params);
    case "bunqueue/one": return bq.one(store, params);
    case "bunqueue/drain": return bq.drain(store, params, notes);
    case "bunqueue/latency": return bq.latency(store, params);
  }
  throw new Error(`no scenario ${key} on ${store}`);
}

const result: ScenarioResult = { system, store, scenario, metrics: {}, peakRssMb: Number.NaN };
try {
  result.metrics = await dispatch();
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
}
result.peakRssMb = rss.stopMb();
if (notes.length) result.notes = notes;
process.stdout.write(RESULT_TAG + JSON.stringify(result) + "\n");
process.exit(0);
