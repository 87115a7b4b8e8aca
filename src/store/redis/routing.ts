/**
 * Which slot a call goes to (layout.ts decides where a queue lives): the
 * deployment's stored layout, runs of queues by slot for claims in strict
 * queue order, the slot of a job a worker holds (explicit ids are looked
 * up), and numbering jobs from one counter when queues span slots. Kept
 * apart from redis-store.ts, which only says what each Store call does.
 */

import { ConfigError, NotFoundError } from "../../core/errors.ts";
import type { NewJob } from "../../core/types.ts";
import type { LeaseRef } from "../store.ts";
import type { SlotBatch } from "./bulk-enqueue.ts";
import { Layout, type QueueTags, type Slot } from "./layout.ts";
import type { Client } from "./scripts.ts";

/** Explicit-id jobs this process reserved, remembered by slot so their outcomes go to the right one. */
const HELD_SLOTS_MAX = 100_000;

type Guard = <T>(fn: () => Promise<T>) => Promise<T>;

export class SlotRouter {
  layout: Layout;
  private readonly heldSlots = new Map<string, Slot>();

  constructor(
    prefix: string,
    tags: QueueTags | undefined,
    private readonly client: Client,
    private readonly guard: Guard,
  ) {
    this.layout = new Layout(prefix, tags);
  }

  /**
   * The deployment's layout is stored at first use and fixed from then on:
   * a store configured with queue tags writes it, one without adopts it (a
   * CLI or client without the config), and a different one is refused.
   */
  async settle(): Promise<void> {
    const key = this.layout.home.keys.layout;
    const stored = await this.guard(() => this.client.get(key));
    if (stored === null) {
      if (!this.layout.tagged) return;
      const jobs = await this.guard(() => this.client.exists(this.layout.home.keys.jobid));
      if (jobs) throw new ConfigError(`store.queueTags: the deployment "${this.layout.prefix}" already has jobs in one slot; queue tags can only be set on a new deployment (use another store.redisPrefix)`);
      await this.guard(() => this.client.set(key, this.layout.serialize(), "NX"));
      return this.settle();
    }
    const theirs = Layout.parse(this.layout.prefix, stored);
    if (!this.layout.tagged) {
      this.layout = theirs;
      return;
    }
    if (theirs.serialize() !== this.layout.serialize()) {
      throw new ConfigError(`store.queueTags ${this.layout.serialize()} differs from the layout the deployment "${this.layout.prefix}" was created with (${stored}); jobs live in their tag's slot, so tags cannot change (use another store.redisPrefix)`);
    }
  }

  /**
   * With queue tags, jobs are numbered here from the home slot's counter
   * before their slot's script runs: one counter keeps ids in enqueue order
   * across slots (listings break createdAt ties by id), and the slot index
   * in each id (n * step + slot) still names the slot. A job that turns out
   * deduplicated leaves its number unused.
   */
  async numberJobs(jobs: NewJob[], batches: SlotBatch[]): Promise<void> {
    // Only the jobs in a batch: one already resolved to a live holder of its unique key in another slot is in none.
    const where = new Map<number, [SlotBatch, number]>();
    for (const b of batches) b.positions.forEach((pos, i) => where.set(pos, [b, i]));
    const numbered = [...where.keys()].filter((pos) => jobs[pos].id === undefined).sort((a, b) => a - b);
    if (numbered.length === 0) return;
    let n = (await this.guard(() => this.client.incrby(this.layout.home.keys.jobid, numbered.length))) - numbered.length;
    for (const pos of numbered) {
      const [b, i] = where.get(pos)!;
      b.args[i][0] = String(++n * this.layout.step + b.slot.index);
    }
  }

  /** Consecutive runs of queues in one slot, in the given order. */
  queueRuns(queues: string[]): [Slot, string[]][] {
    const runs: [Slot, string[]][] = [];
    for (const q of queues) {
      const slot = this.layout.slotOfQueue(q);
      const last = runs[runs.length - 1];
      if (last && last[0] === slot) last[1].push(q);
      else runs.push([slot, [q]]);
    }
    return runs;
  }

  async groupRefs<T extends LeaseRef>(refs: T[]): Promise<Map<Slot, T[]>> {
    if (!this.layout.tagged) return new Map(refs.length ? [[this.layout.home, refs]] : []);
    const out = new Map<Slot, T[]>();
    for (const r of refs) {
      const slot = await this.heldSlot(r.id);
      const list = out.get(slot);
      if (list) list.push(r);
      else out.set(slot, [r]);
    }
    return out;
  }

  /**
   * The slot of a job this worker holds: by its number, or (an explicit id
   * with queue tags) remembered from its claim, or else looked up. A job
   * never changes slot, so the memory is only trimmed for size.
   */
  async heldSlot(id: string): Promise<Slot> {
    return this.layout.slotOfId(id) ?? this.heldSlots.get(id) ?? (await this.findSlot(id)) ?? this.layout.home;
  }

  remember(id: string, slot: Slot): void {
    if (this.heldSlots.size >= HELD_SLOTS_MAX) this.heldSlots.delete(this.heldSlots.keys().next().value!);
    this.heldSlots.set(id, slot);
  }

  /** The slot holding a job: by its number, else (an explicit id with tags) the one where it exists. */
  async findSlot(id: string): Promise<Slot | undefined> {
    const known = this.layout.slotOfId(id);
    if (known) return known;
    const found = await Promise.all(this.layout.slots.map((slot) => this.guard(() => this.client.exists(slot.keys.job(id)))));
    const i = found.findIndex((n) => n > 0);
    return i < 0 ? undefined : this.layout.slots[i];
  }

  async mustFindSlot(id: string): Promise<Slot> {
    const slot = await this.findSlot(id);
    if (!slot) throw new NotFoundError(`no job with id "${id}"`);
    return slot;
  }
}
