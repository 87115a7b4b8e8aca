/**
 * The Redis store: many hosts and processes share one Redis (a single
 * server, a Sentinel-watched master, or a Cluster). Every state change is
 * one short Lua script (lua/*.lua, one per operation), so each method is
 * atomic and costs one round trip: reserve claims a batch (and records the
 * last batch's completions), complete/extendLeases/release settle a batch.
 * Time comes from the caller and is passed to the scripts, never read from
 * Redis.
 *
 * Data model (key names live only in keys.ts and lua/lib.lua; lib.lua has
 * the full table):
 * - one hash per job with one-letter fields; payload and result as JSON;
 * - per queue: a FIFO list of waiting jobs of priority 0 and a zset for
 *   other priorities (score priority * 2^36 + seq), so the line is priority
 *   then FIFO; a marker list that wakes idle workers (wake.ts); completed,
 *   failed and cancelled zsets by finishedAt for retention;
 * - one delayed zset by runAt, one set of active jobs (rescue reads their
 *   leases), the listing index (small bucket lists under a lex directory,
 *   ~6 bytes a job), a counts hash per state and queue, the paused set;
 * - unique keys as strings "<until>:<id>" with a PX TTL; leader leases as
 *   hashes with a fencing-token counter; workers and schedules as hashes.
 *
 * Slots (layout.ts): by default all of it shares one hash tag; with queue
 * tags each tag's queues and their jobs live in a slot of their own, and
 * this class sends each call to the slot(s) it concerns.
 *
 * Memory (Redis 7.0, `npm run bench -- --store redis`, the bench's 33-byte
 * JSON payload): about 215 bytes per waiting job (INFO used_memory delta;
 * BullMQ 253): the job hash as a listpack (~200 B with its key), its list
 * entry (~5 B) and its index entry (~6 B). A field over 64 bytes (payload,
 * errors) turns the hash into a hashtable (hash-max-listpack-value),
 * roughly +300 B, for BullMQ as for qworker.
 */

import type { ConnectionOptions } from "node:tls";
import { Cluster } from "ioredis";
import type { Clock } from "../../core/clock.ts";
import { InvalidStateError, NotFoundError } from "../../core/errors.ts";
import { DEAD_WORKER_KEEP_MS, DEFAULT_UNIQUE_TTL_MS, JOB_LOG_LINES_KEPT, type EnqueueResult, type JobRecord, type JobState, type LeaderInfo, type QueueCounts, type ScheduleState, type WorkerInfo, type WorkerRecord } from "../../core/types.ts";
import { CountsTable } from "../counts.ts";
import { decodeCursor } from "../cursor.ts";
import { STALLED_MESSAGE, uniqueTaken } from "../messages.ts";
import {
  PROMOTE_IN_RESERVE,
  type AppendLogsParams,
  type CancelHeldParams,
  type CompleteParams,
  type CompletedJob,
  type EnqueueParams,
  type FlowStatus,
  type LimitedKey,
  type ExtendLeasesParams,
  type FailParams,
  type HeartbeatParams,
  type JobPage,
  type LeaderParams,
  type ListJobsParams,
  type ProgressParams,
  type ReleaseParams,
  type RescueParams,
  type RescueResult,
  type ReserveParams,
  type ReservedJob,
  type RetryFailedParams,
  type RetryFailedResult,
  type Store,
  type TrimParams,
  type WaitForWorkParams,
} from "../store.ts";
import { ENQUEUE_CHUNK, enqueueSmall, enqueueStaged, type SlotBatch } from "./bulk-enqueue.ts";
import { completeResults, dedupeAcrossSlots, liveHolderElsewhere } from "./cross-slot.ts";
import { decodeJob, decodeJobs, decodeReserved, enqueueArgs, fieldsOf, toJson } from "./codec.ts";
import { connectWithin, createClient, isOutOfMemory, parseRedisUrl, redactUrl, toStoreError, type RedisTarget } from "./connection.ts";

export { redisUrlOf } from "./connection.ts";
import type { QueueTags, Slot } from "./layout.ts";
import { mergePages, type SlotPage } from "./listing.ts";
import { SlotRouter } from "./routing.ts";
import { defineScripts, runScript, type Client, type ScriptArg, type ScriptName } from "./scripts.ts";
import { assertNoEviction, assertSupported, majorVersion, readServerSettings, serverWarnings, type ServerSettings } from "./server-check.ts";
import { WorkWaiter } from "./wake.ts";

export interface RedisStoreOptions {
  /** redis://, rediss://, redis-sentinel:// or redis-cluster:// (connection.ts). */
  url: string;
  /** Deployments sharing a Redis keep apart by prefix; keys are `{<prefix>}:…`. Default "qw". */
  prefix?: string;
  /** Queue tags (layout.ts): tag -> queues, each tag in a hash slot of its own. Default: none. */
  queueTags?: QueueTags;
  /** Accept a Redis whose maxmemory-policy may evict keys (and so jobs). Default false: open() refuses it. */
  allowEviction?: boolean;
  /** Only times waits (a waiter's timer until the next delayed job is due); recorded times come from the caller. */
  clock: Clock;
  /** How long `open()` tries before StoreUnavailableError. Default 3000. */
  connectTimeoutMs?: number;
  /** TLS options for TLS URLs, e.g. `{ ca }` when the server's CA is private. */
  tls?: ConnectionOptions;
}

/** Index entries one listJobs call examines at most per slot while filtering. */
const LIST_BUDGET = 10_000;
const TRIM_BATCH = 1_000;

export class RedisStore implements Store {
  readonly kind = "redis" as const;
  readonly durable = true;

  private readonly client: Client;
  private readonly target: RedisTarget;
  private readonly routes: SlotRouter;
  private readonly clock: Clock;
  private readonly url: string;
  private readonly allowEviction: boolean;
  private readonly connectTimeoutMs: number;
  private readonly waiters = new Map<Slot, WorkWaiter>();
  private settings: ServerSettings = {};
  private lastError?: Error;

  constructor(opts: RedisStoreOptions) {
    this.url = opts.url;
    this.clock = opts.clock;
    this.allowEviction = opts.allowEviction ?? false;
    this.connectTimeoutMs = opts.connectTimeoutMs ?? 3_000;
    this.target = parseRedisUrl(opts.url);
    this.client = createClient(this.target, { connectTimeoutMs: this.connectTimeoutMs, tls: opts.tls });
    this.client.on("error", (err: Error) => (this.lastError = err));
    this.client.on("ready", () => (this.lastError = undefined));
    defineScripts(this.client);
    this.routes = new SlotRouter(opts.prefix ?? "qw", opts.queueTags, this.client, (fn) => this.guard(fn));
  }

  /** Where this store points, without the password (for logs). */
  get location(): string {
    return redactUrl(this.url);
  }

  /** What the server reported at open: version, maxmemory-policy, persistence (for `info` and /health). */
  get serverSettings(): Readonly<ServerSettings> {
    return this.settings;
  }

  /** The slots in use, home first (for tests and tools). */
  get slots(): readonly Slot[] {
    return this.routes.layout.slots;
  }

  async open(): Promise<void> {
    try {
      await connectWithin(this.client, this.connectTimeoutMs, this.url, () => this.lastError);
      const where = `Redis at ${this.location}`;
      this.settings = await this.guard(() => readServerSettings(this.client));
      assertSupported(this.settings, where);
      assertNoEviction(this.settings, where, this.allowEviction);
      const v = majorVersion(this.settings);
      if (v !== undefined && v < 7) defineScripts(this.client, true);
      await this.routes.settle();
    } catch (err) {
      this.client.disconnect();
      throw err;
    }
  }

  async close(): Promise<void> {
    await Promise.all([...this.waiters.values()].map((w) => w.close()));
    if (this.client.status === "ready") await this.client.quit().catch(() => {});
    // Also after QUIT: only disconnect() closes Sentinel's failover-detector connections.
    this.client.disconnect();
  }

  async ping(): Promise<void> {
    await this.guard(() => this.client.ping());
  }

  /** Warnings about the server's configuration for `run` to log (not part of Store). */
  async checkServerConfig(): Promise<string[]> {
    return serverWarnings(this.settings);
  }

  /**
   * For /health (not part of Store): the server's maxmemory-policy, read
   * now, and a problem when it may evict jobs and allowEviction did not
   * accept that (someone changed it since the store opened).
   */
  async healthDetails(): Promise<{ maxmemoryPolicy?: string; problem?: string }> {
    const info = await this.guard(() => this.client.info("memory"));
    const policy = /^maxmemory_policy:(\S+)/m.exec(String(info))?.[1];
    const problem = policy && policy !== "noeviction" && !this.allowEviction ? `Redis maxmemory-policy is "${policy}": it may evict jobs; set noeviction` : undefined;
    return { maxmemoryPolicy: policy, problem };
  }

  /** Deletes every key of this deployment (its prefix and tags). For tests and resets; not part of Store. */
  async destroyAll(): Promise<number> {
    const nodes = this.client instanceof Cluster ? this.client.nodes("master") : [this.client];
    let removed = 0;
    for (const node of nodes) {
      for (const slot of this.routes.layout.slots) {
        removed += await this.guard(async () => {
          let cursor = "0";
          let n = 0;
          do {
            const [next, found] = await node.scan(cursor, "MATCH", slot.keys.all, "COUNT", 1000);
            cursor = next;
            // Keys of one slot: one UNLINK is fine even on a Cluster.
            if (found.length) n += await node.unlink(...found);
          } while (cursor !== "0");
          return n;
        });
      }
    }
    return removed;
  }

  // ---- producing -------------------------------------------------------

  async enqueue({ jobs, now }: EnqueueParams): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return [];
    // Serialise everything first: a payload that is not JSON fails the call before anything is stored.
    const args = jobs.map((spec) => enqueueArgs(spec, now));
    const resolved = this.routes.layout.tagged ? await this.guard(() => dedupeAcrossSlots(this.client, this.routes.layout, jobs, now)) : undefined;
    const bySlot = new Map<Slot, SlotBatch>();
    jobs.forEach((spec, i) => {
      if (resolved?.has(i)) return;
      const slot = this.routes.layout.slotOfQueue(spec.queue);
      let b = bySlot.get(slot);
      if (!b) bySlot.set(slot, (b = { slot, args: [], positions: [] }));
      b.args.push(args[i]);
      b.positions.push(i);
    });
    const batches = [...bySlot.values()];
    if (this.routes.layout.tagged) await this.routes.numberJobs(jobs, batches);
    const run = this.runner();
    const results: EnqueueResult[] = new Array(jobs.length);
    if (batches.length === 1 && batches[0].args.length <= ENQUEUE_CHUNK) await enqueueSmall(run, this.routes.layout, batches[0], now, results);
    else if (batches.length) await enqueueStaged(run, this.routes.layout, batches, now, () => this.clock.now(), results);
    return resolved ? completeResults(results, resolved) : results;
  }

  // ---- consuming -------------------------------------------------------

  async reserve(p: ReserveParams): Promise<ReservedJob[]> {
    const completions = p.complete ?? [];
    if ((p.max <= 0 || p.queues.length === 0) && completions.length === 0) return [];
    const runs = this.routes.queueRuns(p.queues);
    const bySlot = await this.routes.groupRefs(completions);
    const called = new Set<Slot>();
    const out: ReservedJob[] = [];
    // Strict queue order across slots: a later slot is asked only for what earlier ones could not fill.
    for (const [slot, queues] of runs) {
      const max = Math.max(0, p.max - out.length);
      const done = bySlot.get(slot) ?? [];
      bySlot.delete(slot);
      if (max === 0 && done.length === 0) continue;
      called.add(slot);
      out.push(...(await this.reserveIn(slot, queues, max, p, done)));
    }
    await Promise.all([
      // Completions of slots this worker did not claim from.
      ...[...bySlot].map(([slot, done]) => this.completeIn(slot, p.workerId, done, p.now)),
      // Every store promotes due jobs in reserve, of any queue: the slots no claim ran in do it here.
      ...(this.routes.layout.tagged
        ? this.routes.layout.slots.filter((s) => !called.has(s)).map((s) => this.script(s, "promoteDue", s.keys.delayed, [p.now, PROMOTE_IN_RESERVE]).catch(() => undefined))
        : []),
    ]);
    return out;
  }

  private async reserveIn(slot: Slot, queues: string[], max: number, p: ReserveParams, done: CompletedJob[]): Promise<ReservedJob[]> {
    const names = p.names ?? [];
    const args: ScriptArg[] = [p.now, p.workerId, max, p.leaseMs, PROMOTE_IN_RESERVE, queues.length, ...queues, names.length, ...names, ...completionArgs(done)];
    let reply: unknown;
    try {
      reply = await this.script(slot, "reserve", slot.keys.active, args);
    } catch (err) {
      // Redis is full: no claim (so no job starts that could not be recorded), but the jobs that ran get their outcome.
      if (done.length && isOutOfMemory(err)) await this.completeIn(slot, p.workerId, done, p.now);
      throw err;
    }
    const jobs = decodeReserved(reply, { now: p.now, workerId: p.workerId, leaseUntil: p.now + p.leaseMs });
    if (this.routes.layout.tagged) for (const j of jobs) if (!this.routes.layout.slotOfId(j.id)) this.routes.remember(j.id, slot);
    return jobs;
  }

  async extendLeases(p: ExtendLeasesParams): Promise<string[]> {
    if (p.jobs.length === 0) return [];
    const lost = await Promise.all(
      [...(await this.routes.groupRefs(p.jobs))].map(([slot, refs]) =>
        this.script(slot, "extendLeases", slot.keys.active, [p.now, p.workerId, p.leaseMs, ...refs.flatMap((j) => [j.id, String(j.token)])]) as Promise<string[]>,
      ),
    );
    return lost.flat();
  }

  async complete(p: CompleteParams): Promise<void> {
    if (p.jobs.length === 0) return;
    await Promise.all([...(await this.routes.groupRefs(p.jobs))].map(([slot, jobs]) => this.completeIn(slot, p.workerId, jobs, p.now)));
  }

  private async completeIn(slot: Slot, workerId: string, jobs: CompletedJob[], now: number): Promise<void> {
    if (jobs.length === 0) return;
    await this.script(slot, "complete", slot.keys.active, [now, workerId, ...completionArgs(jobs)]);
  }

  async cancelHeld(p: CancelHeldParams): Promise<void> {
    const slot = await this.routes.heldSlot(p.id);
    await this.script(slot, "cancelHeld", slot.keys.active, [p.now, p.workerId, p.id, String(p.token)]);
  }

  async fail(p: FailParams): Promise<void> {
    const { now } = p;
    const error = toJson({ ...p.error, at: now }, `error of job ${p.id}`);
    const slot = await this.routes.heldSlot(p.id);
    await this.script(slot, "fail", slot.keys.active, [now, p.workerId, p.id, String(p.token), error, p.retryAt === undefined ? "" : String(p.retryAt)]);
  }

  async release(p: ReleaseParams): Promise<void> {
    if (p.jobs.length === 0) return;
    await Promise.all(
      [...(await this.routes.groupRefs(p.jobs))].map(([slot, refs]) => this.script(slot, "release", slot.keys.active, [p.workerId, p.pause ? String(p.pause.now + p.pause.ms) : "", p.pause ? String(p.pause.now) : "", ...refs.flatMap((j) => [j.id, String(j.token)])])),
    );
  }

  async progress(p: ProgressParams): Promise<void> {
    const slot = await this.routes.heldSlot(p.id);
    await this.script(slot, "progress", slot.keys.job(p.id), [String(p.token), toJson(p.progress, "progress")]);
  }

  async appendLogs(p: AppendLogsParams): Promise<void> {
    if (p.lines.length === 0) return;
    const lines = p.lines.map((l) => toJson(l, "a log line")).join("\n");
    const slot = await this.routes.heldSlot(p.id);
    await this.script(slot, "appendLogs", slot.keys.job(p.id), [String(p.token), lines, p.keep ?? JOB_LOG_LINES_KEPT]);
  }

  async waitForWork(p: WaitForWorkParams): Promise<void> {
    const runs = this.routes.queueRuns(p.queues);
    if (runs.length === 1) return this.waiter(runs[0][0]).wait(p);
    // One waiter per slot; the first to wake ends the others.
    const ctl = new AbortController();
    const signal = AbortSignal.any([p.signal, ctl.signal]);
    await Promise.race(runs.map(([slot, queues]) => this.waiter(slot).wait({ ...p, queues, signal })));
    ctl.abort();
  }

  // ---- maintenance -----------------------------------------------------

  async promoteDue(p: { limit: number; now: number }): Promise<number> {
    let moved = 0;
    for (const slot of this.routes.layout.slots) {
      const [n] = (await this.script(slot, "promoteDue", slot.keys.delayed, [p.now, p.limit - moved])) as string[];
      moved += Number(n);
      if (moved >= p.limit) break;
    }
    return moved;
  }

  async nextDueAt(): Promise<number | undefined> {
    const firsts = await Promise.all(this.routes.layout.slots.map((slot) => this.guard(() => this.client.zrange(slot.keys.delayed, 0, 0, "WITHSCORES"))));
    const due = firsts.filter((f) => f.length).map((f) => Number(f[1]));
    return due.length ? Math.min(...due) : undefined;
  }

  async rescueExpired(p: RescueParams): Promise<RescueResult> {
    // Workers whose heartbeat record lapsed are dead: their jobs are rescued before their leases run out.
    const dead = (await this.listWorkers({ now: p.now })).filter((w) => w.expiresAt <= p.now).map((w) => w.id);
    const result: RescueResult = { rescued: [], failed: [] };
    for (const slot of this.routes.layout.slots) {
      const limit = p.limit - result.rescued.length - result.failed.length;
      if (limit <= 0) break;
      const [rescued, failed] = (await this.script(slot, "rescueExpired", slot.keys.active, [p.now, p.maxStalls, limit, JSON.stringify(STALLED_MESSAGE), ...dead])) as string[][];
      result.rescued.push(...rescued);
      result.failed.push(...failed);
    }
    return result;
  }

  async trim({ policy, now }: TrimParams): Promise<number> {
    let removed = 0;
    for (const slot of this.routes.layout.slots) {
      for (const queue of await this.knownQueues(slot)) {
        // Cancelled jobs follow the failed limits, counted apart from failed ones.
        for (const state of ["completed", "failed", "cancelled"] as const) {
          const [maxAge, maxCount] = state === "completed" ? [policy.completedMaxAgeMs, policy.completedMaxCount] : [policy.failedMaxAgeMs, policy.failedMaxCount];
          for (;;) {
            const [n] = (await this.script(slot, "trim", slot.keys.finished(queue, state), [now, queue, state, maxAge, maxCount, TRIM_BATCH])) as string[];
            removed += Number(n);
            if (Number(n) < TRIM_BATCH) break;
          }
        }
      }
    }
    return removed;
  }

  // ---- inspecting and managing -----------------------------------------

  async getJob(id: string): Promise<JobRecord | undefined> {
    const slot = await this.routes.findSlot(id);
    if (!slot) return undefined;
    const h = await this.guard(() => this.client.hgetall(slot.keys.job(id)));
    return decodeJob(id, h);
  }

  async listJobs(p: ListJobsParams): Promise<JobPage> {
    const after = p.cursor ? decodeCursor(p.cursor) : undefined;
    const limit = Math.max(1, p.limit);
    const pages = await Promise.all(
      this.routes.layout.slots.map(async (slot): Promise<SlotPage> => {
        const args = [after ? after.createdAt : "", after ? after.id : "", limit, LIST_BUDGET, p.state ?? "", p.queue ?? "", p.name ?? ""];
        const [entries, createdAt, id] = (await this.script(slot, "listJobs", slot.keys.indexDirectory, args)) as [unknown, string, string];
        return { jobs: decodeJobs(entries), next: createdAt === "" ? undefined : { createdAt: Number(createdAt), id } };
      }),
    );
    return mergePages(pages, limit);
  }

  async counts(queues: string[]): Promise<QueueCounts[]> {
    const perSlot = await Promise.all(
      this.routes.layout.slots.map((slot) => this.guard(() => Promise.all([this.client.hgetall(slot.keys.counts), this.client.smembers(slot.keys.paused)]))),
    );
    const table = new CountsTable(queues, new Set(perSlot.flatMap(([, paused]) => paused)));
    for (const [all] of perSlot) {
      for (const [field, value] of Object.entries(all)) {
        const sep = field.indexOf(":");
        const n = Number(value);
        if (n !== 0) table.add(field.slice(sep + 1), field.slice(0, sep) as JobState, n);
      }
    }
    return table.rows();
  }

  async retryJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    const slot = await this.routes.mustFindSlot(id);
    if (this.routes.layout.tagged) {
      // Live again, the job takes its unique key again: not while a live job of another tag holds it.
      const [name, key] = await this.guard(() => this.client.hmget(slot.keys.job(id), "n", "y"));
      const holder = name !== null && key !== null ? await this.guard(() => liveHolderElsewhere(this.client, this.routes.layout, slot, name, key, now)) : undefined;
      if (holder !== undefined && holder !== id) throw uniqueTaken(id, key!, holder);
    }
    const reply = (await this.script(slot, "retryJob", slot.keys.job(id), [now, id, DEFAULT_UNIQUE_TTL_MS])) as [string, unknown, string?];
    if (reply[0] === "unique_taken") throw uniqueTaken(id, String(reply[1]), String(reply[2]));
    return this.managed(id, reply as [string, unknown], "only failed, cancelled or completed jobs can be retried");
  }

  async retryFailed({ queue, limit, now }: RetryFailedParams): Promise<RetryFailedResult> {
    const slot = this.routes.layout.slotOfQueue(queue);
    if (!this.routes.layout.tagged) {
      const [retried, skipped] = (await this.script(slot, "retryFailed", slot.keys.finished(queue, "failed"), [now, queue, Math.max(0, limit), DEFAULT_UNIQUE_TTL_MS])) as [string[], string[]];
      return { retried, skipped };
    }
    // With queue tags a unique key may be held in another slot: each job goes through retryJob's cross-tag check.
    if (limit < 1) return { retried: [], skipped: [] };
    const ids = await this.guard(() => this.client.zrange(slot.keys.finished(queue, "failed"), 0, limit - 1));
    const result: RetryFailedResult = { retried: [], skipped: [] };
    for (const id of ids) {
      try {
        await this.retryJob({ id, now });
        result.retried.push(id);
      } catch (err) {
        if (!(err instanceof InvalidStateError)) throw err;
        result.skipped.push(id);
      }
    }
    return result;
  }

  async cancelJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    const slot = await this.routes.mustFindSlot(id);
    const reply = (await this.script(slot, "cancelJob", slot.keys.job(id), [now, id])) as [string, unknown];
    return this.managed(id, reply, "only waiting, delayed or active jobs can be cancelled");
  }

  async removeJob(id: string): Promise<void> {
    const slot = await this.routes.mustFindSlot(id);
    const reply = (await this.script(slot, "removeJob", slot.keys.job(id), [id])) as [string, unknown];
    if (reply[0] === "not_found") throw new NotFoundError(`no job with id "${id}"`);
    if (reply[0] === "invalid_state") throw new InvalidStateError(`job ${id} is active; cancel it first, then remove it`);
  }

  async pauseQueue(queue: string): Promise<void> {
    const slot = this.routes.layout.slotOfQueue(queue);
    await this.guard(() => this.client.sadd(slot.keys.paused, queue));
  }

  async flowStatus(p: { now: number; limit: number }): Promise<FlowStatus> {
    const limited: LimitedKey[] = [];
    const throttled = new Map<string, number>();
    for (const slot of this.routes.layout.slots) {
      const [keys, counts] = (await this.script(slot, "flowStatus", `${slot.keys.base}fpk`, [Math.max(1, p.limit)])) as [string[][], string[]];
      for (const [key, active, max, nextAt, parked, since] of keys) {
        const k: LimitedKey = { key, active: Number(active), nextAt: Number(nextAt), waiting: Number(parked) };
        if (max !== "") k.max = Number(max);
        if (since !== "") k.waitingSince = Number(since);
        limited.push(k);
      }
      for (let i = 0; i + 1 < counts.length; i += 2) throttled.set(counts[i], (throttled.get(counts[i]) ?? 0) + Number(counts[i + 1]));
    }
    limited.sort((a, b) => b.waiting - a.waiting || (a.key < b.key ? -1 : 1));
    return {
      limited: limited.slice(0, p.limit),
      throttled: [...throttled].map(([k, count]) => {
        const [queue, job] = k.split("\u0000");
        return { queue, job, count };
      }),
    };
  }

  async resumeQueue(queue: string): Promise<void> {
    const slot = this.routes.layout.slotOfQueue(queue);
    await this.script(slot, "resumeQueue", slot.keys.paused, [queue]);
  }

  // ---- fleet (home slot) ---------------------------------------------------

  async leaderAcquire(p: LeaderParams): Promise<LeaderInfo | undefined> {
    const home = this.routes.layout.home;
    const reply = (await this.script(home, "leaderAcquire", home.keys.leader(p.name), [p.now, p.holder, p.ttlMs])) as string[];
    return reply[0] === "ok" ? { holder: reply[1], token: Number(reply[2]), until: Number(reply[3]) } : undefined;
  }

  async leaderRelease(p: { name: string; holder: string }): Promise<void> {
    const home = this.routes.layout.home;
    await this.script(home, "leaderRelease", home.keys.leader(p.name), [p.holder]);
  }

  async leaderGet({ name, now }: { name: string; now: number }): Promise<LeaderInfo | undefined> {
    const [holder, token, until] = await this.guard(() => this.client.hmget(this.routes.layout.home.keys.leader(name), "holder", "token", "until"));
    if (holder === null || Number(until) <= now) return undefined;
    return { holder, token: Number(token), until: Number(until) };
  }

  async workerHeartbeat({ info, ttlMs, now }: HeartbeatParams): Promise<void> {
    const home = this.routes.layout.home;
    await this.script(home, "heartbeat", home.keys.workers, [info.id, `${now + ttlMs}|${JSON.stringify(info)}`]);
  }

  async workerRemove(id: string): Promise<void> {
    await this.guard(() => this.client.hdel(this.routes.layout.home.keys.workers, id));
  }

  async listWorkers({ now }: { now: number }): Promise<WorkerRecord[]> {
    const home = this.routes.layout.home;
    const kept = (await this.script(home, "listWorkers", home.keys.workers, [now, DEAD_WORKER_KEEP_MS])) as [string, string][];
    return kept.map(([expiresAt, json]) => ({ ...(JSON.parse(json) as WorkerInfo), expiresAt: Number(expiresAt) }));
  }

  // ---- schedules (home slot) -------------------------------------------------

  async scheduleStates(): Promise<ScheduleState[]> {
    const all = await this.guard(() => this.client.hgetall(this.routes.layout.home.keys.schedules));
    return Object.entries(all).map(([name, value]) => {
      const [last, paused] = value.split("|", 2);
      const state: ScheduleState = { name, paused: paused === "1" };
      if (last !== "") {
        state.lastSlot = Number(last);
        state.lastJobId = value.slice(last.length + 3);
      }
      return state;
    });
  }

  async scheduleRecordSlot(name: string, slot: number, jobId: string): Promise<void> {
    const home = this.routes.layout.home;
    await this.script(home, "scheduleRecordSlot", home.keys.schedules, [name, slot, jobId]);
  }

  async scheduleSetPaused(name: string, paused: boolean): Promise<void> {
    const home = this.routes.layout.home;
    await this.script(home, "scheduleSetPaused", home.keys.schedules, [name, paused ? "1" : "0"]);
  }

  // ---- internals -------------------------------------------------------

  private waiter(slot: Slot): WorkWaiter {
    let w = this.waiters.get(slot);
    if (!w) {
      w = new WorkWaiter(this.client, slot.keys, this.clock, (queues) => this.waitCheck(slot, queues), !(this.client instanceof Cluster));
      this.waiters.set(slot, w);
    }
    return w;
  }

  private async waitCheck(slot: Slot, queues: string[]): Promise<{ ready: boolean; nextDueAt?: number }> {
    const [status, next] = (await this.script(slot, "waitCheck", slot.keys.delayed, [this.clock.now(), ...queues])) as string[];
    return { ready: status === "ready", nextDueAt: next ? Number(next) : undefined };
  }

  /** Queues of a slot that have (or had) jobs, from its counts hash. */
  private async knownQueues(slot: Slot): Promise<string[]> {
    const fields = await this.guard(() => this.client.hkeys(slot.keys.counts));
    return [...new Set(fields.map((f) => f.slice(f.indexOf(":") + 1)))];
  }

  private managed(id: string, reply: [string, unknown], allowed: string): JobRecord {
    if (reply[0] === "not_found") throw new NotFoundError(`no job with id "${id}"`);
    if (reply[0] === "invalid_state") throw new InvalidStateError(`job ${id} is ${reply[1]}; ${allowed}`);
    return decodeJob(id, fieldsOf(reply[1]))!;
  }

  private runner() {
    return (slot: Slot, name: ScriptName, key: string, args: ScriptArg[]) => this.script(slot, name, key, args);
  }

  private script(slot: Slot, name: ScriptName, key: string, args: ScriptArg[]): Promise<unknown> {
    return this.guard(() => runScript(this.client, name, key, [slot.keys.base, ...args]));
  }

  private async guard<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (err) {
      throw toStoreError(err, this.url, this.lastError);
    }
  }
}

/** Completions as script arguments: triples of id, token, result JSON ("" = undefined). */
function completionArgs(jobs: CompletedJob[]): string[] {
  const out: string[] = [];
  for (const j of jobs) out.push(j.id, String(j.token), toJson(j.result, `result of job ${j.id}`));
  return out;
}
