/**
 * BullMQ's side of the Redis drain: a worker process of its own, as a user
 * runs `node worker.js`, with a no-op processor and concurrency 50. It
 * exits once it has seen every `completed` event (emitted after the
 * completion is stored), printing `WORKER {"done", "cpuUs", "maxRssKb"}` (its own
 * CPU time and peak RSS, start-up included, as qworker's process is measured).
 *
 *   node .bench/node/bullmq-worker.js <redis url> <concurrency> <jobs> <bullmq|bullmq-defaults> <cap ms>
 */

import { Worker } from "bullmq";
import { connection, workerOptions } from "./bullmq-options.ts";
import { QUEUE } from "./types.ts";

const [url, concurrency, jobs, system, capMs] = process.argv.slice(2);
const total = Number(jobs);
let done = 0;
const worker = new Worker(QUEUE, async () => {}, { connection: connection(url), concurrency: Number(concurrency), ...workerOptions(system) });
await new Promise<void>((resolve) => {
  worker.on("completed", () => {
    if (++done === total) resolve();
  });
  setTimeout(resolve, Number(capMs)).unref();
});
await worker.close();
const cpu = process.cpuUsage();
process.stdout.write(`WORKER ${JSON.stringify({ done, cpuUs: cpu.user + cpu.system, maxRssKb: process.resourceUsage().maxRSS })}\n`);
process.exit(0);
