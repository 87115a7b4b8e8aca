/**
 * Redis-side cost per job as instruction counts (a diagnostic, not part of
 * `npm run bench`): redis-server runs under valgrind's callgrind, so the
 * figure does not move with the load other tenants put on a shared VM the
 * way CPU time does. For qworker: enqueue in batches of 1,000, then a drain
 * loop of reserve(50) with the previous batch's completions; for BullMQ:
 * addBulk of 1,000, then a Worker at concurrency 50 with qworker's retention.
 *
 *   bun bench/redis-instructions.ts [jobs=3000] [qworker|bullmq]
 *
 * Needs valgrind (callgrind_control). Slow: about a minute per 3,000 jobs.
 */

import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { Queue, Worker } from "bullmq";
import { systemClock } from "../src/core/clock.ts";
import { RedisStore } from "../src/store/redis/redis-store.ts";
import { freePort } from "../test/helpers/qworker-binary.ts";
import { RETENTION } from "./bullmq-options.ts";
import { payload, QUEUE } from "./types.ts";

const N = Number(process.argv[2] ?? 3_000);
const system = process.argv[3] ?? "qworker";
const dir = join(tmpdir(), `qworker-callgrind-${process.pid}`);
mkdirSync(dir, { recursive: true });
const port = freePort();
const proc = Bun.spawn(["valgrind", "--tool=callgrind", `--callgrind-out-file=${dir}/cg.%p`, "redis-server", "--port", String(port), "--save", "", "--appendonly", "no", "--dir", dir], {
  stdout: "ignore",
  stderr: "ignore",
});
const admin = new Redis(port, "127.0.0.1", { retryStrategy: () => 200 });
admin.on("error", () => {});
for (;;) {
  try {
    await admin.ping();
    break;
  } catch {
    await Bun.sleep(200);
  }
}
const control = (arg: string) => Bun.spawnSync(["callgrind_control", arg, String(proc.pid)], { stdout: "pipe", stderr: "pipe" });
/** Instructions since the last zero: dump, read the dump's total, delete the dumps. */
const since = () => {
  control("--dump");
  let total = 0;
  for (const f of readdirSync(dir)) {
    if (!f.startsWith("cg.")) continue;
    const m = /^(?:summary|totals): (\d+)/m.exec(readFileSync(join(dir, f), "utf8"));
    if (m) total = Math.max(total, Number(m[1]));
    rmSync(join(dir, f));
  }
  control("--zero");
  return total;
};
const url = `redis://127.0.0.1:${port}`;

try {
  let enqueue: number;
  let drain: number;
  if (system === "bullmq") {
    const connection = { host: "127.0.0.1", port, maxRetriesPerRequest: null };
    const q = new Queue(QUEUE, { connection });
    await q.add("noop", payload(-1)); // loads the scripts
    since();
    for (let i = 0; i < N; i += 1_000) await q.addBulk(Array.from({ length: Math.min(1_000, N - i) }, (_, j) => ({ name: "noop", data: payload(i + j) })));
    enqueue = since();
    let done = 0;
    let worker!: Worker;
    await new Promise<void>((resolve) => {
      worker = new Worker(QUEUE, async () => {}, { connection, concurrency: 50, ...RETENTION });
      worker.on("completed", () => {
        if (++done === N + 1) resolve();
      });
    });
    drain = since();
    await worker.close();
    await q.close();
  } else {
    const store = new RedisStore({ url, prefix: "qwbench", clock: systemClock, connectTimeoutMs: 20_000 });
    await store.open();
    const job = (n: number) => ({ name: "noop", queue: QUEUE, data: payload(n), maxAttempts: 3 });
    await store.enqueue({ jobs: [job(-1)], now: Date.now() }); // loads the scripts
    await store.reserve({ queues: [QUEUE], workerId: "w", max: 1, leaseMs: 30_000, now: Date.now() });
    since();
    for (let i = 0; i < N; i += 1_000) await store.enqueue({ jobs: Array.from({ length: Math.min(1_000, N - i) }, (_, j) => job(i + j)), now: Date.now() });
    enqueue = since();
    let held: { id: string; token: number }[] = [];
    for (;;) {
      const got = await store.reserve({ queues: [QUEUE], workerId: "w", max: 50, leaseMs: 30_000, now: Date.now(), names: ["noop"], complete: held.length ? held : undefined });
      held = got.map((j) => ({ id: j.id, token: j.lease.token }));
      if (got.length === 0) break;
    }
    drain = since();
    await store.close();
  }
  console.log(`${system}: redis-server instructions per job: enqueue ${Math.round(enqueue / N).toLocaleString("en")}, drain ${Math.round(drain / N).toLocaleString("en")}`);
} finally {
  admin.disconnect();
  proc.kill();
  await proc.exited;
  rmSync(dir, { recursive: true, force: true });
}
