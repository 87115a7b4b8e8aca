/**
 * Outcomes the pool has decided but the store has not recorded yet. The
 * fetch loop empties it at the start of every round, before it claims
 * anything: completions ride along with the next claim (one transaction or
 * script for both), the rarer outcomes (retry, fail, cancel, put back) are
 * written one call each. So the worker never runs ahead of what it has
 * recorded by more than one batch, and when the store refuses writes the
 * outcomes stay here, in order, until it accepts them again.
 */

import type { CompletedJob, Store } from "../store/store.ts";
import type { Outcome } from "./outcome.ts";

export interface Written {
  id: string;
  name: string;
  queue: string;
  /** The attempt the outcome is about (1-based). */
  attempt: number;
  outcome: Outcome;
  /** How long the try ran, and how long the job waited to start (startedAt - runAt). */
  durationMs: number;
  waitMs: number;
}

/** An outcome to write; a completion is its own CompletedJob (id, token, result), so a batch is passed as it is. */
export interface Pending extends Written, CompletedJob {
  workerId: string;
}

export class Outbox {
  private completions: Pending[] = [];
  private others: Pending[] = [];

  constructor(private readonly onWritten: (w: Written) => void) {}

  get size(): number {
    return this.completions.length + this.others.length;
  }

  /** Every job whose outcome is unwritten: its lease must stay alive until the write lands. */
  held(): { id: string; token: number }[] {
    return [...this.completions, ...this.others].map((p) => ({ id: p.id, token: p.token }));
  }

  add(p: Pending): void {
    if (p.outcome.kind === "drop") return this.onWritten(p);
    if (p.outcome.kind === "complete") p.result = p.outcome.result;
    (p.outcome.kind === "complete" ? this.completions : this.others).push(p);
  }

  /** The job's lease is gone (cancelled or rescued): any outcome of ours would be refused anyway. */
  forget(id: string): void {
    this.completions = this.completions.filter((p) => p.id !== id);
    this.others = this.others.filter((p) => p.id !== id);
  }

  /** Writes the outcomes that are not completions, one call each; stops at the first failure, keeping the rest. */
  async writeOthers(store: Store, now: number): Promise<void> {
    while (this.others.length) {
      const p = this.others[0];
      await writeOne(store, p, now);
      // By identity: a lease lost during the write may have forgotten outcomes (forget() filters the list).
      const at = this.others.indexOf(p);
      if (at >= 0) this.others.splice(at, 1);
      this.onWritten(p);
    }
  }

  /** Takes the completions for a claim (or a `complete` call); give them back with `restore` if the call fails. */
  takeCompletions(): Pending[] {
    const taken = this.completions;
    this.completions = [];
    return taken;
  }

  restore(taken: Pending[]): void {
    this.completions = taken.concat(this.completions);
  }

  written(taken: Pending[]): void {
    for (const p of taken) this.onWritten(p);
  }
}

async function writeOne(store: Store, p: Pending, now: number): Promise<void> {
  const ref = { workerId: p.workerId, id: p.id, token: p.token };
  const o = p.outcome;
  switch (o.kind) {
    case "retry":
      return store.fail({ ...ref, error: errorRecord(o.error, p.attempt), retryAt: o.retryAt, now });
    case "fail":
      return store.fail({ ...ref, error: errorRecord(o.error, p.attempt), now });
    case "cancel":
      return store.cancelHeld({ ...ref, now });
    case "release":
      return store.release({ workerId: p.workerId, jobs: [{ id: p.id, token: p.token }] });
    case "throttle":
      return store.release({ workerId: p.workerId, jobs: [{ id: p.id, token: p.token }], pause: { ms: o.pauseMs, now } });
    case "complete":
      return store.complete({ workerId: p.workerId, jobs: [p], now });
    case "stall":
      // Lease ends now: the rescuer takes the job back with a stall counted (or fails it past maxStalls).
      await store.extendLeases({ workerId: p.workerId, jobs: [{ id: p.id, token: p.token }], leaseMs: 0, now });
      return;
    case "drop":
      return;
  }
}

function errorRecord(e: Error, attempt: number) {
  return { attempt, message: e.message, name: e.name, stack: e.stack?.split("\n").slice(0, 12).join("\n") };
}
