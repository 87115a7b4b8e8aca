/**
 * Redis key names: the only TypeScript that spells them (the Lua side
 * derives the same names in lua/lib.lua). A deployment's keys live in hash
 * slots: the home slot `{<prefix>}:…` (fleet records, and every queue
 * without a tag) and, when queues are spread over Cluster shards, one slot
 * per tag `{<prefix>:<tag>}:…`. Every script keeps to one slot.
 */

export class Keys {
  constructor(
    /** `{<prefix>}:` or `{<prefix>:<tag>}:`, passed to every script as ARGV[1]. */
    readonly base: string,
  ) {}

  job(id: string): string {
    return `${this.base}j:${id}`;
  }
  marker(queue: string): string {
    return `${this.base}q:${queue}:m`;
  }
  /** The retention zset of one queue's jobs in a finished state, scored by finishedAt. */
  finished(queue: string, state: "completed" | "failed" | "cancelled"): string {
    return `${this.base}q:${queue}:${state}`;
  }
  stage(token: string): string {
    return `${this.base}stage:${token}`;
  }
  get delayed(): string {
    return `${this.base}delayed`;
  }
  get active(): string {
    return `${this.base}active`;
  }
  get indexDirectory(): string {
    return `${this.base}ixd`;
  }
  get jobid(): string {
    return `${this.base}jobid`;
  }
  get counts(): string {
    return `${this.base}counts`;
  }
  get paused(): string {
    return `${this.base}paused`;
  }
  // The home slot's fleet records:
  leader(name: string): string {
    return `${this.base}leader:${name}`;
  }
  get workers(): string {
    return `${this.base}workers`;
  }
  get schedules(): string {
    return `${this.base}schedules`;
  }
  get layout(): string {
    return `${this.base}layout`;
  }
  /** A SCAN pattern matching every key of this slot (glob characters escaped). */
  get all(): string {
    return `${this.base.replace(/[*?[\]\\]/g, "\\$&")}*`;
  }
}
