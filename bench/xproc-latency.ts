/**
 * The one scenario that needs two processes: enqueue-to-start on the SQLite
 * store with a qworker pool in a child process (xproc-worker.ts) on the same
 * file, as `qworker run` plus a separate enqueuing process would be. The
 * stamp job's first line reports its wall-clock time over IPC.
 */

import { join } from "node:path";
import { sampleLatency, StampBoard } from "./latency-tools.ts";
import { openQworker } from "./qworker-scenarios.ts";
import type { ScenarioParams } from "./types.ts";

export async function xlatency(p: ScenarioParams): Promise<Record<string, number>> {
  const db = join(p.workDir, `qworker-x-${process.pid}-${Date.now()}.db`);
  const q = await openQworker("sqlite", p, db);
  const stamps = new StampBoard();
  let onRss: ((mb: number) => void) | undefined;
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  const child = Bun.spawn([process.execPath, join(import.meta.dir, "xproc-worker.ts"), db, String(p.concurrency)], {
    stdio: ["ignore", "inherit", "inherit"],
    ipc(msg: { ready?: boolean; seq?: number; at?: number; rssMb?: number }) {
      if (msg.ready) ready();
      else if (msg.rssMb !== undefined) onRss?.(msg.rssMb);
      else if (msg.seq !== undefined && msg.at !== undefined) stamps.hook(msg.seq, msg.at);
    },
  });
  try {
    await Promise.race([isReady, child.exited.then((code) => Promise.reject(new Error(`xproc-worker exited early (${code})`)))]);
    const out = await sampleLatency({
      samples: p.xsamples,
      pauseMs: p.xpauseMs,
      stamps,
      enqueue: async (seq) => (await q.ops.enqueue([{ name: "stamp", data: { seq } }]))[0].id,
    });
    out.workerPeakRssMb = await new Promise<number>((resolve) => {
      onRss = resolve;
      child.send({ rss: true });
      setTimeout(() => resolve(Number.NaN), 2_000);
    });
    return out;
  } finally {
    child.kill("SIGTERM");
    await child.exited;
    await q.close();
  }
}
