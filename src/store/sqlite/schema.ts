/**
 * Opening a SQLite store file: connection pragmas and the schema, versioned
 * with `PRAGMA user_version` so a newer qworker can migrate an older file and
 * an older one refuses a file it does not understand. Several processes may
 * open the same file at once; the migration runs in a `BEGIN IMMEDIATE`
 * transaction so only one of them applies it.
 */

import { Database } from "bun:sqlite";
import { existsSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { StoreUnavailableError, toError } from "../../core/errors.ts";
import { unwritableReason } from "./writable.ts";

/**
 * One entry per schema version; entry i upgrades a file from version i to i + 1.
 * Never edit a shipped entry: append a new one.
 *
 * Jobs keep a rowid (cheap partial indexes) plus the public text id. `seq` is
 * the FIFO position inside (queue, priority): it comes from `counters.seq` and
 * is renewed when a job re-enters the queue (promotion, retry) but kept on
 * release and rescue, exactly like the memory store. `unique_until` is the
 * unique-key hold; it is cleared when the job settles, which frees the key.
 */
export const MIGRATIONS: readonly string[] = [
  `
  CREATE TABLE jobs (
    id            TEXT    NOT NULL UNIQUE,
    name          TEXT    NOT NULL,
    queue         TEXT    NOT NULL,
    state         TEXT    NOT NULL,
    priority      INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    data          TEXT,
    attempts_made INTEGER NOT NULL DEFAULT 0,
    max_attempts  INTEGER NOT NULL,
    stalls        INTEGER NOT NULL DEFAULT 0,
    run_at        INTEGER NOT NULL,
    created_at    INTEGER NOT NULL,
    started_at    INTEGER,
    finished_at   INTEGER,
    lease_worker  TEXT,
    lease_token   INTEGER NOT NULL DEFAULT 0,
    lease_until   INTEGER,
    progress      TEXT,
    result        TEXT,
    errors        TEXT    NOT NULL DEFAULT '[]',
    unique_key    TEXT,
    unique_until  INTEGER
  );
  -- reserve: the head of a queue in O(log n)
  CREATE INDEX jobs_waiting  ON jobs (queue, priority, seq) WHERE state = 'waiting';
  -- promotion, nextDueAt
  CREATE INDEX jobs_delayed  ON jobs (run_at, seq)          WHERE state = 'delayed';
  -- rescueExpired
  CREATE INDEX jobs_active   ON jobs (lease_until)          WHERE state = 'active';
  -- trim, without scanning a backlog of waiting jobs
  CREATE INDEX jobs_finished ON jobs (queue, state, finished_at) WHERE state IN ('completed', 'failed');
  -- unique-key dedupe on enqueue
  CREATE INDEX jobs_unique   ON jobs (name, unique_key)     WHERE unique_until IS NOT NULL;
  -- listJobs, newest first
  CREATE INDEX jobs_created  ON jobs (created_at, id);

  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO counters (name, value) VALUES ('seq', 0);
  CREATE TABLE paused_queues (queue TEXT PRIMARY KEY) WITHOUT ROWID;
  -- A released lease keeps its row (expires_at = 0) so the next token is always higher.
  CREATE TABLE leaders (name TEXT PRIMARY KEY, holder TEXT NOT NULL, token INTEGER NOT NULL, expires_at INTEGER NOT NULL) WITHOUT ROWID;
  -- rowid keeps first-heartbeat order, as the memory store's Map does
  CREATE TABLE workers (id TEXT NOT NULL UNIQUE, info TEXT NOT NULL, expires_at INTEGER NOT NULL);
  CREATE TABLE schedules (name TEXT NOT NULL UNIQUE, last_slot INTEGER, last_job_id TEXT, paused INTEGER NOT NULL DEFAULT 0);
  `,
  // 1 -> 2: trim also removes cancelled jobs, so they join the finished index.
  `
  DROP INDEX jobs_finished;
  CREATE INDEX jobs_finished ON jobs (queue, state, finished_at) WHERE state IN ('completed', 'failed', 'cancelled');
  `,
  // 2 -> 3: the rescuer finds the active jobs of a dead worker without a scan.
  `
  CREATE INDEX jobs_active_worker ON jobs (lease_worker) WHERE state = 'active';
  CREATE INDEX workers_expires ON workers (expires_at);
  `,
  // 3 -> 4: ids are numbers the store hands out (core/ids.ts), listed in shortlex order.
  `
  INSERT INTO counters (name, value) VALUES ('jobid', 0);
  DROP INDEX jobs_created;
  CREATE INDEX jobs_created ON jobs (created_at, length(id), id);
  `,
  // 4 -> 5: what a job writes with ctx.log is kept on it (JSON array, the last JOB_LOG_LINES_KEPT lines).
  `
  ALTER TABLE jobs ADD COLUMN logs TEXT;
  `,
  // 5 -> 6: the cost of a job (issue 19) and cheap counts (issue 17).
  // - queue_counts: jobs per queue and state, kept by every write transaction
  //   (src/store/tally.ts), so counts() reads a few rows instead of scanning
  //   jobs. rowid keeps the order queues first had a job.
  // - jobs_finished is keyed on finished_at IS NOT NULL (set exactly while a
  //   job is completed, failed or cancelled): a partial index whose WHERE
  //   names `state IN (...)` made every state change, claims included, build
  //   the IN list (~5 µs a job); one on finished_at is only touched when a
  //   job finishes or leaves. The two UPDATEs make older files keep the rule.
  // - jobs_active_worker goes: the active set is bounded by the fleet's total
  //   concurrency, so the dead-worker rescue walks jobs_active instead, and
  //   claims and completions maintain one index less.
  `
  CREATE TABLE queue_counts (
    queue     TEXT    NOT NULL UNIQUE,
    waiting   INTEGER NOT NULL DEFAULT 0,
    delayed   INTEGER NOT NULL DEFAULT 0,
    active    INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    failed    INTEGER NOT NULL DEFAULT 0,
    cancelled INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO queue_counts (queue, waiting, delayed, active, completed, failed, cancelled)
    SELECT queue, sum(state = 'waiting'), sum(state = 'delayed'), sum(state = 'active'),
           sum(state = 'completed'), sum(state = 'failed'), sum(state = 'cancelled')
    FROM jobs GROUP BY queue ORDER BY min(rowid);
  UPDATE jobs SET finished_at = NULL WHERE finished_at IS NOT NULL AND state IN ('waiting', 'delayed', 'active');
  UPDATE jobs SET finished_at = coalesce(started_at, created_at) WHERE finished_at IS NULL AND state IN ('completed', 'failed', 'cancelled');
  DROP INDEX jobs_finished;
  CREATE INDEX jobs_finished ON jobs (queue, state, finished_at) WHERE finished_at IS NOT NULL;
  DROP INDEX jobs_active_worker;
  `,
  // 6 -> 7: flow control (issue 20, src/core/flow.ts; sqlite/flow.ts).
  // - jobs.flow: the limits and group the job was enqueued with (JSON).
  // - A waiting job over a limit is parked: its priority moves up by
  //   PARKED_PRIORITY (past every real priority, so claims, which stop below
  //   it, never walk it again) and parked_on names the key it waits for.
  // - flow_keys: per key, active slots, the next allowed start, parked jobs,
  //   and when time alone frees it (wake_at).
  // - flow_groups: each group's last place in line (fair share).
  // - queue_holds: queues paused by ctx.rateLimited of a job with no keys.
  // - flow_throttled: "<queue>\0<job>" -> claims that found the job over a limit.
  `
  ALTER TABLE jobs ADD COLUMN flow TEXT;
  ALTER TABLE jobs ADD COLUMN parked_on TEXT;
  -- The parked jobs of each key in line order, apart from jobs: a partial index on jobs cost
  -- every claim 8% (measured), even though a claim never touches its columns.
  CREATE TABLE flow_parked (key TEXT NOT NULL, priority INTEGER NOT NULL, seq INTEGER NOT NULL, job INTEGER NOT NULL,
    PRIMARY KEY (key, priority, seq, job)) WITHOUT ROWID;
  CREATE TABLE flow_keys (
    key     TEXT    PRIMARY KEY,
    active  INTEGER NOT NULL DEFAULT 0,
    next_at REAL    NOT NULL DEFAULT 0,
    max     INTEGER,
    parked  INTEGER NOT NULL DEFAULT 0,
    wake_at REAL
  ) WITHOUT ROWID;
  CREATE INDEX flow_keys_wake ON flow_keys (wake_at) WHERE wake_at IS NOT NULL;
  CREATE TABLE flow_groups (k TEXT PRIMARY KEY, last INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE queue_holds (queue TEXT PRIMARY KEY, until INTEGER NOT NULL) WITHOUT ROWID;
  CREATE TABLE flow_throttled (k TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
  `,
];

export const SCHEMA_VERSION = MIGRATIONS.length;

/** How long a connection waits for another process's write transaction before giving up. */
export const BUSY_TIMEOUT_MS = 5_000;

/** WAL pages past this are cut back when a checkpoint resets the WAL: retention frees space on disk, not just in the file. */
const WAL_SIZE_LIMIT_BYTES = 4 * 1024 * 1024;

export interface OpenOptions {
  /** False for commands that only inspect: a missing file is "no store at PATH", not a new empty store. Default true. */
  create?: boolean;
}

/**
 * Opens (creating file and parent folder if missing, unless `create` is
 * false), sets the pragmas and migrates. Any failure becomes a
 * StoreUnavailableError naming the path and the reason.
 */
export function openDatabase(path: string, opts: OpenOptions = {}): Database {
  const onDisk = path !== ":memory:" && path !== "";
  if (onDisk && opts.create === false && !existsSync(path)) {
    throw new StoreUnavailableError(`no store at ${path}: nothing has been enqueued there yet (check --db / QWORKER_DB, or run \`qworker run\` first)`);
  }
  const unwritable = onDisk ? unwritableReason(path) : undefined;
  if (unwritable) throw new StoreUnavailableError(`SQLite store at ${path} cannot be written: ${unwritable}`);
  let db: Database | undefined;
  try {
    if (onDisk) mkdirSync(dirname(path), { recursive: true });
    const fresh = onDisk && !existsSync(path);
    db = new Database(path, { create: true, readwrite: true, strict: true });
    // Before any table exists: free pages can then be handed back to the file system (store.compact()).
    if (fresh) db.run("PRAGMA auto_vacuum = INCREMENTAL");
    // First, so that everything below waits for a concurrent opener instead of failing.
    db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    const mode = (db.query("PRAGMA journal_mode = WAL").get() as { journal_mode: string }).journal_mode;
    if (mode !== "wal" && path !== ":memory:" && path !== "") {
      throw new Error(`could not switch to WAL journal mode (got "${mode}"); is the file on a network or read-only filesystem?`);
    }
    // WAL + NORMAL syncs the WAL only at checkpoints, not at each commit. A
    // committed transaction is in the WAL file (the OS page cache) before the
    // call returns, so it survives SIGKILL or a crash of this process; only a
    // power loss or kernel crash can drop the last commits. That is the
    // durability DESIGN §3 asks for, and test/sqlite/multiprocess.test.ts
    // checks it by SIGKILLing an enqueuer.
    db.run("PRAGMA synchronous = NORMAL");
    // 4 MB of pages per connection. A drain touches the heads of a few indexes and the rows just
    // claimed; the OS page cache serves the rest in microseconds. A 20 MB cache drained no faster and
    // was a fifth of a worker's RSS (bench/rss-drain.ts: 133 MB against ~100 MB at 300,000 jobs).
    db.run("PRAGMA cache_size = -4000");
    db.run("PRAGMA temp_store = MEMORY");
    // A busy WAL may grow while readers pin old pages; shrink it back after checkpoints.
    db.run(`PRAGMA journal_size_limit = ${WAL_SIZE_LIMIT_BYTES}`);
    migrate(db);
    if (onDisk) enableIncrementalVacuum(db);
    return db;
  } catch (err) {
    try {
      db?.close();
    } catch {
      // The open already failed; the original reason is what matters.
    }
    if (err instanceof StoreUnavailableError) throw err;
    throw new StoreUnavailableError(`cannot open SQLite store at ${path}: ${toError(err).message}`, { cause: err });
  }
}

/**
 * A file made before qworker set auto_vacuum cannot shrink: switch it over
 * once with a VACUUM. Another process holding the file makes that fail
 * harmlessly; the next open tries again.
 */
function enableIncrementalVacuum(db: Database): void {
  const mode = (db.query("PRAGMA auto_vacuum").get() as { auto_vacuum: number }).auto_vacuum;
  if (mode === 2) return;
  try {
    db.run("PRAGMA auto_vacuum = INCREMENTAL");
    db.run("VACUUM");
  } catch {
    // Busy or locked: the store works as before, it just cannot shrink yet.
  }
}

function migrate(db: Database): void {
  const version = () => (db.query("PRAGMA user_version").get() as { user_version: number }).user_version;
  // Cheap check outside a write lock: the common case is an up-to-date file.
  if (version() === SCHEMA_VERSION) return;
  db.transaction(() => {
    const from = version();
    if (from > SCHEMA_VERSION) {
      throw new StoreUnavailableError(
        `the SQLite store at ${db.filename} has schema version ${from}, newer than this qworker knows (${SCHEMA_VERSION}); upgrade qworker`,
      );
    }
    for (let v = from; v < SCHEMA_VERSION; v++) db.run(MIGRATIONS[v]);
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION}`);
  }).immediate();
}
