/**
 * Redis key names of one deployment: the only TypeScript that spells them
 * (the Lua side derives the same names in lua/lib.lua). Every key starts
 * with the hash tag `{<prefix>}` so a whole deployment lives in one Cluster
 * slot and every script stays Cluster safe.
 */

export class Keys {
  /** `{<prefix>}:`, passed to every script as ARGV[1]. */
  readonly base: string;

  constructor(readonly prefix: string) {
    if (!prefix || /[{}]/.test(prefix)) throw new TypeError(`redis key prefix "${prefix}" must be non-empty and contain no braces`);
    this.base = `{${prefix}}:`;
  }

  job(id: string): string {
    return `${this.base}job:${id}`;
  }
  marker(queue: string): string {
    return `${this.base}q:${queue}:marker`;
  }
  /** The retention zset of one queue's jobs in a finished state, scored by finishedAt. */
  finished(queue: string, state: "completed" | "failed" | "cancelled"): string {
    return `${this.base}q:${queue}:${state}`;
  }
  leader(name: string): string {
    return `${this.base}leader:${name}`;
  }
  get delayed(): string {
    return `${this.base}delayed`;
  }
  get active(): string {
    return `${this.base}active`;
  }
  get index(): string {
    return `${this.base}idx`;
  }
  get counts(): string {
    return `${this.base}counts`;
  }
  get paused(): string {
    return `${this.base}paused`;
  }
  get workers(): string {
    return `${this.base}workers`;
  }
  get schedules(): string {
    return `${this.base}schedules`;
  }
  /** A SCAN pattern matching every key of this deployment (glob characters escaped). */
  get all(): string {
    return `${this.base.replace(/[*?[\]\\]/g, "\\$&")}*`;
  }

  /** The listing index member of a job: "<createdAt, 16 digits>:<id length, 3 digits>:<id>", so byte order is (createdAt, id in shortlex order). */
  static indexMember(createdAt: number, id: string): string {
    return `${String(createdAt).padStart(16, "0")}:${String(id.length).padStart(3, "0")}:${id}`;
  }

  static parseIndexMember(member: string): { createdAt: number; id: string } {
    return { createdAt: Number(member.slice(0, 16)), id: member.slice(21) };
  }
}
