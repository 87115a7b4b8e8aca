/**
 * The least work any in-memory runner with qworker's guarantees must do
 * per job (issue 19), and qworker's own memory-store drain next to it, each
 * timed in its own process so neither inherits the other's heap:
 *
 *  - a lease on every claimed job, kept where expired ones can be found,
 *    with a token per claim so a late completion from a lost lease is
 *    refused (fenced outcomes);
 *  - a timeout per running job that fires: each claim stamps a deadline,
 *    and one sweep timer (not one timer per job) finds the overdue ones;
 *  - claims in priority order (one FIFO per priority level);
 *  - a completion record per job (state, result, finish time) that stays;
 *  - an async handler call per job, `concurrency` jobs at a time.
 *
 *   bun bench/floor/memory-floor.ts floor|qworker <jobs> [concurrency=50]
 * prints {"jobs":N,"ms":wall,"cpuMs":cpu,"rssMb":peak} for the drain alone.
 */

import { cpuMeter } from "../stats.ts";

interface FloorJob {
  id: number;
  priority: number;
  data: unknown;
  state: "waiting" | "active" | "completed";
  attempts: number;
  leaseUntil: number;
  token: number;
  deadline: number;
  timedOut?: boolean;
  result?: unknown;
  finishedAt?: number;
}

export class MemoryFloor {
  readonly jobs = new Map<number, FloorJob>();
  /** Waiting ids per priority level, lowest number first; `heads` skips the claimed ones without shifting. */
  private readonly levels = new Map<number, number[]>();
  private readonly heads = new Map<number, number>();
  /** Leased jobs: the rescuer scans this (bounded by concurrency), never the whole table. */
  readonly leased = new Map<number, FloorJob>();
  private nextId = 0;

  add(data: unknown, priority = 0): void {
    const job: FloorJob = { id: ++this.nextId, priority, data, state: "waiting", attempts: 0, leaseUntil: 0, token: 0, deadline: 0 };
    this.jobs.set(job.id, job);
    let level = this.levels.get(priority);
    if (!level) {
      level = [];
      this.levels.set(priority, level);
      this.heads.set(priority, 0);
    }
    level.push(job.id);
  }

  claim(max: number, leaseMs: number, timeoutMs = 300_000): FloorJob[] {
    const out: FloorJob[] = [];
    const now = Date.now();
    const deadline = performance.now() + timeoutMs;
    for (const priority of [...this.levels.keys()].sort((a, b) => a - b)) {
      const level = this.levels.get(priority)!;
      let head = this.heads.get(priority)!;
      while (out.length < max && head < level.length) {
        const job = this.jobs.get(level[head++])!;
        job.state = "active";
        job.attempts++;
        job.token++;
        job.leaseUntil = now + leaseMs;
        job.deadline = deadline;
        this.leased.set(job.id, job);
        out.push(job);
      }
      this.heads.set(priority, head);
      if (out.length >= max) break;
    }
    return out;
  }

  /** One sweep for every running job's timeout: marks the overdue ones (a real runner aborts them). */
  sweepTimeouts(): number {
    const now = performance.now();
    let fired = 0;
    for (const job of this.leased.values()) {
      if (job.deadline <= now && !job.timedOut) {
        job.timedOut = true;
        fired++;
      }
    }
    return fired;
  }

  complete(job: FloorJob, token: number, result: unknown): void {
    // Fenced: a lost lease (rescued, re-claimed) changes nothing.
    if (job.state !== "active" || job.token !== token || !this.leased.delete(job.id)) return;
    job.state = "completed";
    job.result = result;
    job.finishedAt = Date.now();
  }
}

/** Runs `concurrency` handlers at a time, claiming as slots free up, until nothing is waiting. */
export async function drainMemoryFloor(floor: MemoryFloor, concurrency: number, handler: (data: unknown) => Promise<unknown>): Promise<number> {
  let done = 0;
  const sweep = setInterval(() => floor.sweepTimeouts(), 1_000);
  try {
    for (;;) {
      const got = floor.claim(concurrency, 30_000);
      if (got.length === 0) return done;
      await Promise.all(
        got.map(async (job) => {
          const token = job.token;
          floor.complete(job, token, await handler(job.data));
        }),
      );
      done += got.length;
    }
  } finally {
    clearInterval(sweep);
  }
}

async function qworkerDrain(jobs: number, concurrency: number): Promise<() => Promise<number>> {
  const { openQworker, makePool } = await import("../qworker-scenarios.ts");
  const p = { workDir: "/tmp" } as Parameters<typeof openQworker>[1];
  const q = await openQworker("memory", p);
  for (let i = 0; i < jobs; i += 1_000) {
    await q.store.enqueue({ jobs: Array.from({ length: Math.min(1_000, jobs - i) }, (_, j) => ({ name: "noop", queue: "bench", data: { i: i + j }, maxAttempts: 3 })), now: Date.now() });
  }
  return async () => {
    const pool = makePool(q, concurrency);
    let done = 0;
    const finished = new Promise<void>((resolve) => pool.events.on("job:end", () => ++done === jobs && resolve()));
    pool.start();
    await finished;
    await pool.stop(5_000);
    const [counts] = await q.store.counts(["bench"]);
    if (counts.completed !== jobs) throw new Error(`qworker drain: ${counts.completed} of ${jobs} completed`);
    return done;
  };
}

if (import.meta.main) {
  const [which, jobsArg, concArg] = Bun.argv.slice(2);
  const jobs = Number(jobsArg ?? 50_000);
  const concurrency = Number(concArg ?? 50);
  let drain: () => Promise<number>;
  if (which === "floor") {
    const floor = new MemoryFloor();
    for (let i = 0; i < jobs; i++) floor.add({ i });
    drain = () => drainMemoryFloor(floor, concurrency, async () => {});
  } else if (which === "qworker") drain = await qworkerDrain(jobs, concurrency);
  else throw new Error(`usage: memory-floor.ts floor|qworker <jobs> [concurrency]`);
  const cpu = await cpuMeter();
  const t0 = performance.now();
  const n = await drain();
  const ms = performance.now() - t0;
  const { cpuUsPerJob } = await cpu(n);
  if (n !== jobs) throw new Error(`drained ${n} of ${jobs}`);
  console.log(JSON.stringify({ jobs: n, ms, cpuMs: (cpuUsPerJob * n) / 1000 }));
}
