/**
 * Which hash slot holds which queue. By default every key of a deployment
 * shares one hash tag, `{qw}`, so one Cluster shard serves it all. With
 * `store.queueTags` (tag -> queues) each tag gets a slot of its own,
 * `{qw:<tag>}`, so a Cluster spreads the queues over its masters; queues
 * without a tag, and the fleet records, stay in the home slot.
 *
 * Job ids stay short numbers: slot k (home = 0, tags 1..T-1 in their
 * order) numbers its jobs n * T + k, so no two slots hand out one id and a
 * number names its slot. The layout is stored in Redis at first use and
 * must never change afterwards: jobs live in their queue's slot, so moving a
 * queue would orphan them. A client or CLI without the config reads it from
 * there.
 */

import { ConfigError } from "../../core/errors.ts";
import { Keys } from "./keys.ts";

export type QueueTags = Record<string, string[]>;

export const TAG_NAME = /^[A-Za-z0-9_.-]{1,32}$/;

export interface Slot {
  /** 0 = home, then the tags in order. */
  index: number;
  /** The tag, or undefined for home. */
  tag?: string;
  keys: Keys;
}

export class Layout {
  readonly slots: Slot[];
  private readonly byQueue = new Map<string, Slot>();

  constructor(
    readonly prefix: string,
    readonly tags: QueueTags = {},
  ) {
    if (!prefix || /[{}]/.test(prefix)) throw new ConfigError(`redis key prefix "${prefix}" must be non-empty and contain no braces`);
    this.slots = [{ index: 0, keys: new Keys(`{${prefix}}:`) }];
    for (const [tag, queues] of Object.entries(tags)) {
      if (!TAG_NAME.test(tag)) throw new ConfigError(`store.queueTags: tag "${tag}" must be 1-32 letters, digits, '_', '.', '-'`);
      const slot: Slot = { index: this.slots.length, tag, keys: new Keys(`{${prefix}:${tag}}:`) };
      this.slots.push(slot);
      for (const q of queues) {
        const other = this.byQueue.get(q);
        if (other) throw new ConfigError(`store.queueTags: queue "${q}" is in tags "${other.tag}" and "${tag}"; a queue lives in one tag`);
        this.byQueue.set(q, slot);
      }
    }
  }

  get home(): Slot {
    return this.slots[0];
  }

  /** Ids are n * step + slot index. */
  get step(): number {
    return this.slots.length;
  }

  get tagged(): boolean {
    return this.slots.length > 1;
  }

  slotOfQueue(queue: string): Slot {
    return this.byQueue.get(queue) ?? this.home;
  }

  /** The slot a numbered id belongs to; undefined for an explicit id (cron slots), which may be in any. */
  slotOfId(id: string): Slot | undefined {
    if (!this.tagged) return this.home;
    if (!/^\d{1,15}$/.test(id)) return undefined;
    return this.slots[Number(id) % this.step];
  }

  /** The stored form, compared at every open. */
  serialize(): string {
    return JSON.stringify(Object.entries(this.tags));
  }

  static parse(prefix: string, stored: string): Layout {
    return new Layout(prefix, Object.fromEntries(JSON.parse(stored) as [string, string[]][]));
  }
}
