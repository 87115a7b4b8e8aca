/**
 * The PostgreSQL store: the queue lives in the app's own database, in a
 * schema of its own, shared by any number of qworker processes and hosts.
 *
 * Duties:
 * 1. Match the memory store's semantics (the reference) move for move;
 *    test/contract and the differential test hold it to that.
 * 2. Each method is one statement or one SQL function call (a single
 *    transaction, one round trip): reserve records the piggybacked
 *    completions, promotes due jobs and claims a batch with
 *    FOR UPDATE SKIP LOCKED, so workers never block each other and no job
 *    goes to two workers while its lease is live. Only retryJob, an admin
 *    action, takes a few statements in an explicit transaction.
 * 3. Keep no session state on the claim path (PgBouncer's transaction mode
 *    works); LISTEN/NOTIFY wake-ups ride on a session of their own
 *    (waker.ts), with a capped poll as the floor.
 * 4. Keep the writes about one job in order (job-writes.ts), as stores on
 *    one connection do by themselves.
 *
 * Schema and migrations, the SQL functions, the statements, row mapping,
 * the pool, the wake-ups, retention and the fleet tables live in the
 * neighbouring files; the client's transactional enqueue in tx-enqueue.ts.
 */

import type { Clock } from "../../core/clock.ts";
import { InvalidStateError, NotFoundError, StoreUnavailableError } from "../../core/errors.ts";
import {
  DEAD_WORKER_KEEP_MS,
  DEFAULT_UNIQUE_TTL_MS,
  JOB_LOG_LINES_KEPT,
  JOB_STATES,
  type EnqueueResult,
  type JobRecord,
  type JobState,
  type LeaderInfo,
  type QueueCounts,
  type ScheduleState,
  type WorkerRecord,
} from "../../core/types.ts";
import { countsFromRows } from "../tally.ts";
import { decodeCursor, encodeCursor } from "../cursor.ts";
import { STALLED_MESSAGE, uniqueTaken } from "../messages.ts";
import {
  PROMOTE_IN_RESERVE,
  type AppendLogsParams,
  type RetryFailedParams,
  type RetryFailedResult,
  type CancelHeldParams,
  type CompleteParams,
  type EnqueueParams,
  type FlowStatus,
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
  type Store,
  type TrimParams,
  type WaitForWorkParams,
} from "../store.ts";
import { clientConfig, PgConnection, redactUrl } from "./connection.ts";
import { claimOrder, toJson, toRecord, type JobRow } from "./rows.ts";
import { DEFAULT_SCHEMA, schemaNames, type SchemaNames } from "./names.ts";
import { migrate } from "./schema.ts";
import { counterStatements, FOLD_PENDING_ROWS, type CounterRow } from "./counters.ts";
import { listSql, statements, type Statements } from "./statements.ts";
import { encodeJobs } from "./tx-enqueue.ts";
import { PgFleet } from "./fleet.ts";
import { trimJobs } from "./retention.ts";
import { JobWrites } from "./job-writes.ts";
import { serverWarnings, type ServerSettings } from "./server-check.ts";
import { PgWaker } from "./waker.ts";

export interface PostgresStoreOptions {
  /** postgres://[user[:password]@]host[:port]/database[?…] */
  url: string;
  /** The schema qworker's tables live in, created if missing. Default "qworker". */
  schema?: string;
  /** Only times waits; recorded times come from the caller. */
  clock: Clock;
  /** How long connecting may take before StoreUnavailableError. Default 3000. */
  connectTimeoutMs?: number;
  /** Connections in the pool. Default 10. */
  poolSize?: number;
  /** Name the hot statements (prepared once per connection): faster on a direct connection, wrong behind PgBouncer < 1.21. Default false. */
  preparedStatements?: boolean;
  /**
   * LISTEN for wake-ups: true (default) on `url`, another URL for a direct
   * session when `url` goes through PgBouncer, or false to rely on polling.
   */
  listen?: boolean | string;
  /**
   * Claims and completions commit without waiting for the WAL flush
   * (synchronous_commit = off for those transactions only). Default true.
   * Enqueues, retries, failures and every other write always wait for it,
   * so an acknowledged job is never lost. What a crash of the PostgreSQL
   * server (not a restart) can lose is the last claims and completions
   * (within 3 × wal_writer_delay, 600 ms by default): those jobs come back
   * through their leases and run again, which at-least-once delivery
   * allows. False waits for the flush on every write.
   */
  asyncOutcomes?: boolean;
}

export class PostgresStore implements Store {
  readonly kind = "postgres" as const;
  readonly durable = true;

  private readonly conn: PgConnection;
  private readonly s: SchemaNames;
  private readonly st: Statements;
  private readonly counters: ReturnType<typeof counterStatements>;
  private readonly waker: PgWaker;
  private readonly fleet: PgFleet;
  private readonly lists = new Map<string, string>();
  /** Progress writes in flight, by job: an outcome for the job waits for them (job-writes.ts). */
  private readonly progressWrites = new JobWrites();
  private readonly clock: Clock;
  private readonly url: string;
  private readonly asyncOutcomes: boolean;
  private opened?: Promise<void>;
  private closed = false;

  constructor(opts: PostgresStoreOptions) {
    this.url = opts.url;
    this.clock = opts.clock;
    this.asyncOutcomes = opts.asyncOutcomes ?? true;
    this.s = schemaNames(opts.schema ?? DEFAULT_SCHEMA);
    this.st = statements(this.s);
    this.counters = counterStatements(this.s);
    this.fleet = new PgFleet(this.st, (what, text, values) => this.q(what, text, values));
    const connectTimeoutMs = opts.connectTimeoutMs ?? 3_000;
    this.conn = new PgConnection({ url: opts.url, max: opts.poolSize ?? 10, connectTimeoutMs, preparedStatements: opts.preparedStatements ?? false });
    const listen = opts.listen ?? true;
    this.waker = new PgWaker({
      listen: listen === false ? undefined : clientConfig(listen === true ? opts.url : listen, connectTimeoutMs),
      channel: this.s.channel,
      clock: opts.clock,
      check: (queues) => this.waitCheck(queues),
    });
  }

  /** Where this store points, without the password (for logs). */
  get location(): string {
    return `${redactUrl(this.url)} (schema ${this.s.name})`;
  }

  /** The schema's name, for the client's transactional enqueue. */
  get schema(): string {
    return this.s.name;
  }

  async open(): Promise<void> {
    this.opened ??= this.conn.session("open", (client) => migrate(client, this.s)).catch((err) => {
      this.opened = undefined;
      throw err;
    });
    await this.opened;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.waker.close();
    await this.conn.close();
  }

  async ping(): Promise<void> {
    await this.q("ping", "SELECT 1");
  }

  async checkServerConfig(): Promise<string[]> {
    const [row] = await this.q<ServerSettings>("checkServerConfig", this.st.serverSettings);
    return serverWarnings(row);
  }

  // ---- producing -------------------------------------------------------

  async enqueue({ jobs, now }: EnqueueParams): Promise<EnqueueResult[]> {
    if (jobs.length === 0) return [];
    const rows = await this.q<{ id: string; deduplicated: boolean }>("enqueue", this.st.enqueue, [encodeJobs(jobs), String(ms(now))], "qw_enqueue");
    this.waker.wakeLocal(jobs.map((j) => j.queue));
    return rows.map((r) => ({ id: r.id, deduplicated: r.deduplicated }));
  }

  // ---- consuming -------------------------------------------------------

  async reserve(p: ReserveParams): Promise<ReservedJob[]> {
    const now = ms(p.now);
    const done = p.complete?.length ? p.complete : undefined;
    if (done) await this.progressWrites.settled(done);
    const rows = await this.q<JobRow>("reserve", this.st.reserve, [
      p.queues,
      p.workerId,
      Math.max(0, Math.min(p.max, 100_000)),
      now + ms(p.leaseMs),
      now,
      p.names ?? null,
      PROMOTE_IN_RESERVE,
      done ? done.map((c) => c.id) : null,
      done ? done.map((c) => c.token) : null,
      done ? done.map((c) => toJson(c.result)) : null,
      this.asyncOutcomes,
    ], "qw_reserve");
    if (rows.length > 1) rows.sort(claimOrder(p.queues));
    return rows.map((r) => toRecord(r) as ReservedJob);
  }

  async extendLeases(p: ExtendLeasesParams): Promise<string[]> {
    if (p.jobs.length === 0) return [];
    const kept = await this.q<{ id: string }>("extendLeases", this.st.extend, [p.workerId, ms(p.now) + ms(p.leaseMs), p.jobs.map((j) => j.id), p.jobs.map((j) => j.token)], "qw_extend");
    const held = new Set(kept.map((r) => r.id));
    return p.jobs.filter((j) => !held.has(j.id)).map((j) => j.id);
  }

  async complete(p: CompleteParams): Promise<void> {
    if (p.jobs.length === 0) return;
    await this.progressWrites.settled(p.jobs);
    const values = [p.workerId, ms(p.now), p.jobs.map((j) => j.id), p.jobs.map((j) => j.token), p.jobs.map((j) => toJson(j.result)), this.asyncOutcomes];
    await this.q("complete", this.st.complete, values, "qw_complete");
  }

  async fail(p: FailParams): Promise<void> {
    await this.progressWrites.settled([p]);
    const now = ms(p.now);
    const error = JSON.stringify({ ...p.error, at: now });
    if (p.retryAt === undefined) {
      await this.q("fail", this.st.failFinal, [p.id, p.workerId, p.token, error, now], "qw_fail_final");
      return;
    }
    const woke = await this.q("fail", this.st.failRetry, [p.id, p.workerId, p.token, error, ms(p.retryAt)], "qw_fail_retry");
    // A retry due sooner than a waiter's timer must cut it short.
    if (woke.length) this.waker.wakeLocal();
  }

  async cancelHeld(p: CancelHeldParams): Promise<void> {
    await this.progressWrites.settled([p]);
    await this.q("cancelHeld", this.st.cancelHeld, [p.id, p.workerId, p.token, ms(p.now)]);
  }

  async release(p: ReleaseParams): Promise<void> {
    if (p.jobs.length === 0) return;
    await this.progressWrites.settled(p.jobs);
    if (p.pause) {
      // Flow control is not kept on this store (no keys to pause): the job waits out the pause itself.
      await this.q("releaseDelayed", this.st.releaseDelayed, [p.workerId, p.jobs.map((j) => j.id), p.jobs.map((j) => j.token), ms(p.pause.now + p.pause.ms)]);
      return;
    }
    const woke = await this.q("release", this.st.release, [p.workerId, p.jobs.map((j) => j.id), p.jobs.map((j) => j.token)]);
    if (woke.length) this.waker.wakeLocal();
  }

  async progress(p: ProgressParams): Promise<void> {
    await this.progressWrites.chain(p.id, () => this.q("progress", this.st.progress, [p.id, p.token, JSON.stringify(p.progress)], "qw_progress"));
  }

  async appendLogs(p: AppendLogsParams): Promise<void> {
    if (p.lines.length === 0) return;
    await this.q("appendLogs", this.st.appendLogs, [p.id, p.token, JSON.stringify(p.lines), p.keep ?? JOB_LOG_LINES_KEPT], "qw_append_logs");
  }

  async waitForWork(p: WaitForWorkParams): Promise<void> {
    if (this.closed) return;
    await this.waker.wait(p);
  }

  // ---- maintenance -----------------------------------------------------

  async promoteDue(p: { limit: number; now: number }): Promise<number> {
    const [row] = await this.q<{ moved: number }>("promoteDue", this.st.promote, [ms(p.now), Math.max(0, Math.min(p.limit, 1_000_000))]);
    if (row.moved) this.waker.wakeLocal();
    return row.moved;
  }

  async nextDueAt(): Promise<number | undefined> {
    const [row] = await this.q<{ at: number | null }>("nextDueAt", this.st.nextDue);
    return row.at ?? undefined;
  }

  async rescueExpired(p: RescueParams): Promise<RescueResult> {
    const rows = await this.q<{ id: string; failed: boolean }>("rescueExpired", this.st.rescue, [
      ms(p.now),
      p.maxStalls,
      Math.max(0, Math.min(p.limit, 1_000_000)),
      STALLED_MESSAGE,
      DEAD_WORKER_KEEP_MS,
    ]);
    const out: RescueResult = { rescued: [], failed: [] };
    for (const r of rows) (r.failed ? out.failed : out.rescued).push(r.id);
    if (out.rescued.length) this.waker.wakeLocal();
    // The leader rescues every few seconds: the kept counts' deltas are folded on the same beat (counters.ts).
    await this.foldCounts("rescueExpired");
    return out;
  }

  async trim({ policy, now }: TrimParams): Promise<number> {
    const removed = await trimJobs(this.st, policy, ms(now), { query: (text, values) => this.q("trim", text, values) });
    if (removed > 0) await this.foldCounts("trim");
    return removed;
  }

  // ---- inspecting and managing -----------------------------------------

  async getJob(id: string): Promise<JobRecord | undefined> {
    const [row] = await this.q<JobRow>("getJob", this.st.getJob, [id], "qw_get_job");
    return row ? toRecord(row) : undefined;
  }

  async listJobs(p: ListJobsParams): Promise<JobPage> {
    const after = p.cursor ? decodeCursor(p.cursor) : undefined;
    const shape = { state: !!p.state, queue: !!p.queue, name: !!p.name, after: !!after };
    const key = `${+shape.state}${+shape.queue}${+shape.name}${+shape.after}`;
    let sql = this.lists.get(key);
    if (!sql) this.lists.set(key, (sql = listSql(this.s, shape)));
    const args: unknown[] = [];
    if (p.state) args.push(p.state);
    if (p.queue) args.push(p.queue);
    if (p.name) args.push(p.name);
    if (after) args.push(after.createdAt, after.id);
    const limit = Math.max(0, Math.min(p.limit, 100_000));
    // One extra row tells whether there is a next page.
    const rows = await this.q<JobRow>("listJobs", sql, [...args, limit + 1], `qw_list_${key}`);
    const jobs = rows.slice(0, limit).map(toRecord);
    const last = jobs[jobs.length - 1];
    return { jobs, nextCursor: rows.length > limit && last ? encodeCursor({ createdAt: last.createdAt, id: last.id }) : undefined };
  }

  /** Kept counts (counters.ts): a few rows per queue, whatever the number of jobs. */
  async counts(queues: string[]): Promise<QueueCounts[]> {
    const [rows, paused] = await Promise.all([this.q<CounterRow>("counts", this.counters.counts, [], "qw_counts"), this.pausedSet("counts")]);
    // No leader folding (every process runs --role worker or api): the reader keeps the deltas short.
    if (rows.reduce((n, r) => n + r.pending, 0) > FOLD_PENDING_ROWS) await this.foldCounts("counts");
    return countsFromRows(queues, paused, rows.map((r) => [r.queue, JOB_STATES.map((s) => r[s])]));
  }

  async retryJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    const at = ms(now);
    const st = this.st;
    const row = await this.conn.transaction("retryJob", async (q) => {
      const [cur] = await q<{ name: string; state: JobState; unique_key: string | null }>(st.lockJob, [id]);
      if (!cur) throw new NotFoundError(`no job with id "${id}"`);
      if (cur.state !== "failed" && cur.state !== "cancelled" && cur.state !== "completed") {
        throw new InvalidStateError(`job ${id} is ${cur.state}; only failed, cancelled or completed jobs can be retried`);
      }
      // Live again, it holds its key again, unless another live job took it meanwhile.
      if (cur.unique_key !== null) {
        const [holder] = await q<{ id: string }>(st.uniqueHolder, [cur.name, cur.unique_key, at, id]);
        if (holder) throw uniqueTaken(id, cur.unique_key, holder.id);
        await q(st.clearHolds, [cur.name, cur.unique_key, id]);
      }
      const [updated] = await q<JobRow>(st.retry, [id, at, cur.unique_key === null ? null : at + DEFAULT_UNIQUE_TTL_MS]);
      await q(st.notify, [updated.queue]);
      return updated;
    });
    this.waker.wakeLocal([row.queue]);
    return toRecord(row);
  }

  async retryFailed({ queue, limit, now }: RetryFailedParams): Promise<RetryFailedResult> {
    const at = ms(now);
    const st = this.st;
    const out = await this.conn.transaction("retryFailed", async (q) => {
      const result: RetryFailedResult = { retried: [], skipped: [] };
      const rows = await q<{ id: string; name: string; unique_key: string | null }>(st.oldestFailed, [queue, Math.max(0, limit)]);
      for (const row of rows) {
        // Each exactly as retryJob would: a job whose key another live job holds stays failed.
        if (row.unique_key !== null) {
          const [holder] = await q<{ id: string }>(st.uniqueHolder, [row.name, row.unique_key, at, row.id]);
          if (holder) {
            result.skipped.push(row.id);
            continue;
          }
          await q(st.clearHolds, [row.name, row.unique_key, row.id]);
        }
        await q(st.retry, [row.id, at, row.unique_key === null ? null : at + DEFAULT_UNIQUE_TTL_MS]);
        result.retried.push(row.id);
      }
      if (result.retried.length) await q(st.notify, [queue]);
      return result;
    });
    if (out.retried.length) this.waker.wakeLocal([queue]);
    return out;
  }

  async cancelJob({ id, now }: { id: string; now: number }): Promise<JobRecord> {
    const [row] = await this.q<JobRow>("cancelJob", this.st.cancel, [id, ms(now)]);
    if (row) return toRecord(row);
    const state = await this.stateOf("cancelJob", id);
    throw new InvalidStateError(`job ${id} is already ${state}; only waiting, delayed or active jobs can be cancelled`);
  }

  async removeJob(id: string): Promise<void> {
    if ((await this.q("removeJob", this.st.remove, [id])).length) return;
    await this.stateOf("removeJob", id);
    throw new InvalidStateError(`job ${id} is active; cancel it first, then remove it`);
  }

  /** Flow control is not enforced on PostgreSQL yet (issue 20): nothing is ever held back. */
  async flowStatus(_p: { now: number; limit: number }): Promise<FlowStatus> {
    return { limited: [], throttled: [] };
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.q("pauseQueue", this.st.pause, [queue]);
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.q("resumeQueue", this.st.resume, [queue]);
    this.waker.wakeLocal([queue]);
  }

  // ---- fleet and schedules (fleet.ts) ----------------------------------

  leaderAcquire(p: LeaderParams): Promise<LeaderInfo | undefined> {
    return this.fleet.leaderAcquire(p);
  }
  leaderRelease(p: { name: string; holder: string }): Promise<void> {
    return this.fleet.leaderRelease(p);
  }
  leaderGet(p: { name: string; now: number }): Promise<LeaderInfo | undefined> {
    return this.fleet.leaderGet(p);
  }
  workerHeartbeat(p: HeartbeatParams): Promise<void> {
    return this.fleet.workerHeartbeat(p);
  }
  workerRemove(id: string): Promise<void> {
    return this.fleet.workerRemove(id);
  }
  listWorkers(p: { now: number }): Promise<WorkerRecord[]> {
    return this.fleet.listWorkers(p);
  }
  scheduleStates(): Promise<ScheduleState[]> {
    return this.fleet.scheduleStates();
  }
  scheduleRecordSlot(name: string, slot: number, jobId: string): Promise<void> {
    return this.fleet.scheduleRecordSlot(name, slot, jobId);
  }
  scheduleSetPaused(name: string, paused: boolean): Promise<void> {
    return this.fleet.scheduleSetPaused(name, paused);
  }

  // ---- internals -------------------------------------------------------

  /** Every statement goes through here: refused before open() and after close(), errors mapped (connection.ts). */
  private async q<R = Record<string, unknown>>(what: string, text: string, values: unknown[] = [], name?: string): Promise<R[]> {
    if (this.closed) throw new StoreUnavailableError(`${this.conn.where} is closed (${what})`);
    return this.conn.query<R>(what, text, values, name);
  }

  private async foldCounts(what: string): Promise<void> {
    await this.q(what, this.counters.fold, [], "qw_fold_counts");
  }

  private async pausedSet(what: string): Promise<Set<string>> {
    return new Set((await this.q<{ queue: string }>(what, this.st.paused)).map((r) => r.queue));
  }

  private async stateOf(what: string, id: string): Promise<JobState> {
    const [row] = await this.q<{ state: JobState }>(what, this.st.stateOf, [id]);
    if (!row) throw new NotFoundError(`no job with id "${id}"`);
    return row.state;
  }

  /** As the memory store: a due delayed job (reserve promotes it), or waiting work in an unpaused queue asked for. */
  private async waitCheck(queues: string[]): Promise<{ ready: boolean; nextDueAt?: number }> {
    const [row] = await this.q<{ ready: boolean; next_due: number | null }>("waitForWork", this.st.waitCheck, [queues, ms(this.clock.now())], "qw_wait_check");
    return { ready: row.ready, nextDueAt: row.next_due ?? undefined };
  }
}

/** Times and durations go to bigint columns: whole milliseconds. */
function ms(value: number): number {
  return Math.round(value);
}
