/**
 * `waitForWork` for Redis: idle workers block on Redis, never poll.
 *
 * Why markers in per-queue lists, popped with BLPOP:
 * - Every change that makes a job ready (enqueue, release, promotion,
 *   rescue, retry, resume) pushes one marker per ready job onto the job's
 *   queue list, capped at 64 (lua/lib.lua `pushMarkers`). Each marker wakes
 *   exactly one blocked connection, so a batch of N jobs wakes up to N idle
 *   processes and a single job wakes one: enough workers, no thundering herd
 *   (pub/sub would wake every idle process for every job, and loses wake-ups
 *   sent while a process is between its check and its subscribe).
 * - A marker is durable: one pushed between a worker's "anything ready?"
 *   check and its BLPOP is still there when BLPOP starts, so no wake-up is
 *   lost. Markers left by jobs that busy workers took anyway are dropped by
 *   that check (lua/wait-check.lua) when it finds nothing ready.
 * - Lists per queue let a worker block only on the queues it serves.
 *
 * One blocking connection per store instance (`duplicate()`), created on the
 * first wait, serves all of the instance's concurrent waits: a popped marker
 * wakes every local waiter of that queue; a marker nobody here wants any
 * more is pushed back for another process. Each waiter has its own timer
 * (maxWaitMs, or when the next delayed job is due), and an abort resolves it
 * at once; a BLPOP left without waiters is ended with CLIENT UNBLOCK (best
 * effort: where ACLs forbid it, it ends at its own timeout, at most a second
 * past the longest wait). On a Cluster, where a connection's id is only
 * known to one node, nothing is unblocked: each BLPOP lasts at most a
 * second instead.
 *
 * A store whose queues span several slots (queue tags) has one waiter per
 * slot: a BLPOP may only name keys of one slot on a Cluster.
 */

import type Redis from "ioredis";
import type { Client } from "./scripts.ts";
import type { Clock } from "../../core/clock.ts";
import { Loop } from "../../core/loop.ts";
import { abortableSleep } from "../../core/service.ts";
import type { WaitForWorkParams } from "../store.ts";
import type { Keys } from "./keys.ts";

export type ReadyCheck = (queues: string[]) => Promise<{ ready: boolean; nextDueAt?: number }>;

interface Waiter {
  markers: Set<string>;
  deadline: number;
  done(): void;
}

/** After a failed check or BLPOP (Redis down), wait this long before the next try. */
const ERROR_PAUSE_MS = 500;
const MAX_BLOCK_SECONDS = 60;
const CLUSTER_BLOCK_SECONDS = 1;

export class WorkWaiter {
  private readonly waiters = new Set<Waiter>();
  private blocking?: Client;
  private blockingId?: number;
  /** Marker keys of the BLPOP in flight, if any. */
  private blockedOn?: Set<string>;
  /** Listens with BLPOP while anyone waits; between waits it sleeps until the next waiter arrives. */
  private readonly listener: Loop;
  private waiterArrived: (() => void) | undefined;
  private readonly closing = new AbortController();

  constructor(
    private readonly client: Client,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly check: ReadyCheck,
    /** False on a Cluster: BLPOPs are kept short instead of unblocked. */
    private readonly canUnblock = true,
  ) {
    this.listener = new Loop({
      name: "redis-wake",
      round: (signal) => this.listen(signal),
      // Redis is unreachable: the next BLPOP is tried after a short pause, never in a spin.
      onError: () => ERROR_PAUSE_MS,
    });
  }

  async wait(p: WaitForWorkParams): Promise<void> {
    if (p.signal.aborted || this.closing.signal.aborted) return;
    let ms = p.maxWaitMs;
    try {
      const state = await this.check(p.queues);
      if (state.ready) return;
      if (state.nextDueAt !== undefined) ms = Math.min(ms, Math.max(0, state.nextDueAt - this.clock.now()));
    } catch {
      // Redis is unreachable: pause briefly instead of failing, so a worker's loop cannot spin.
      return abortableSleep(Math.min(ms, ERROR_PAUSE_MS), anySignal(p.signal, this.closing.signal));
    }
    if (ms <= 0 || p.signal.aborted) return;
    await new Promise<void>((resolve) => {
      const waiter: Waiter = {
        markers: new Set(p.queues.map((q) => this.keys.marker(q))),
        deadline: performance.now() + ms,
        done: () => {
          clearTimeout(timer);
          p.signal.removeEventListener("abort", onAbort);
          this.waiters.delete(waiter);
          resolve();
        },
      };
      const timer = setTimeout(waiter.done, ms);
      const onAbort = () => {
        waiter.done();
        if (this.waiters.size === 0) this.unblock();
      };
      p.signal.addEventListener("abort", onAbort, { once: true });
      this.waiters.add(waiter);
      this.listener.start();
      const arrived = this.waiterArrived;
      this.waiterArrived = undefined;
      arrived?.();
      // A waiter for a queue the BLPOP in flight does not cover: restart it with the wider set.
      if (this.blockedOn && [...this.wanted()].some((k) => !this.blockedOn!.has(k))) this.unblock();
    });
  }

  async close(): Promise<void> {
    this.closing.abort();
    for (const w of [...this.waiters]) w.done();
    this.blocking?.disconnect();
    await this.listener.stop();
  }

  /** One listening round: a BLPOP on the markers the waiters want, or, with none waiting, a wait for the next. */
  private async listen(signal: AbortSignal): Promise<void> {
    if (this.waiters.size === 0) {
      await new Promise<void>((resolve) => {
        this.waiterArrived = resolve;
        signal.addEventListener("abort", () => resolve(), { once: true });
      });
      return;
    }
    const markers = [...this.wanted()];
    const longest = Math.max(...[...this.waiters].map((w) => w.deadline - performance.now()));
    const seconds = this.canUnblock ? Math.min(MAX_BLOCK_SECONDS, Math.max(1, Math.ceil(longest / 1000))) : CLUSTER_BLOCK_SECONDS;
    let popped: [string, string] | null;
    try {
      const conn = await this.connection();
      this.blockedOn = new Set(markers);
      popped = await conn.blpop(...markers, seconds);
    } finally {
      this.blockedOn = undefined;
    }
    if (!popped) return;
    const [key, value] = popped;
    let woke = false;
    for (const w of [...this.waiters]) {
      if (w.markers.has(key)) {
        w.done();
        woke = true;
      }
    }
    if (!woke) await this.client.lpush(key, value).catch(() => {});
  }

  private wanted(): Set<string> {
    const all = new Set<string>();
    for (const w of this.waiters) for (const k of w.markers) all.add(k);
    return all;
  }

  private async connection(): Promise<Client> {
    if (!this.blocking) {
      const conn = this.client.duplicate();
      conn.on("error", () => {}); // reported through the command connection; this one just retries
      conn.on("ready", () => {
        this.blockingId = undefined;
        if (this.canUnblock) (conn as Redis).client("ID").then((id) => (this.blockingId = Number(id)), () => {});
      });
      this.blocking = conn;
    }
    if (this.blocking.status === "wait") await this.blocking.connect();
    return this.blocking;
  }

  /** Ends the BLPOP in flight early (it returns as if timed out). */
  private unblock(): void {
    if (this.canUnblock && this.blockedOn && this.blockingId !== undefined) {
      (this.client as Redis).client("UNBLOCK", this.blockingId).catch(() => {});
    }
  }
}

function anySignal(a: AbortSignal, b: AbortSignal): AbortSignal {
  return AbortSignal.any([a, b]);
}
