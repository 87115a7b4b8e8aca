/**
 * The BullMQ child of the bench, bundled for Node by run.ts and run with
 * `node`: one measurement per process, printing exactly one
 * `BENCH_RESULT {…}` line, like scenario.ts does for the other systems.
 *
 *   node .bench/node/bullmq-node.js <store> <bullmq|bullmq-defaults> <scenario> '<params JSON>' <worker script>
 */

import * as bm from "./bullmq-scenarios.ts";
import { RssPeak } from "./stats.ts";
import { RESULT_TAG, type ScenarioName, type ScenarioParams, type ScenarioResult, type StoreName, type SystemName } from "./types.ts";

const [store, system, scenario, json, workerScript] = process.argv.slice(2) as [StoreName, SystemName, ScenarioName, string, string];
const params = JSON.parse(json ?? "{}") as ScenarioParams;
const rss = new RssPeak();

async function dispatch(): Promise<Record<string, number>> {
  switch (scenario) {
    case "bulk": return bm.bulk(params);
    case "one": return bm.one(params);
    case "drain": return bm.drain(params, system, workerScript);
    case "latency": return bm.latency(params, system);
    case "redismem": return bm.redismem(params);
  }
  throw new Error(`no BullMQ scenario ${scenario}`);
}

const result: ScenarioResult = { system, store, scenario, metrics: {}, peakRssMb: Number.NaN };
try {
  result.metrics = await dispatch();
} catch (err) {
  result.error = err instanceof Error ? err.message : String(err);
}
result.peakRssMb = rss.stopMb();
process.stdout.write(RESULT_TAG + JSON.stringify(result) + "\n");
process.exit(0);
