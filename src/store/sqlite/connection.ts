/**
 * One open SQLite connection with its prepared statements, and the two ways
 * the store touches it: `read` (plain reads, autocommit) and `write` (every
 * change, one BEGIN IMMEDIATE transaction). Both map SQLite failures that
 * mean "the store cannot serve" (locked past the timeout, I/O, full disk,
 * corrupt file) to StoreUnavailableError, and leave caller errors alone.
 *
 * Why writes wait for the lock in JS and not in SQLite's busy handler: the
 * built-in handler sleeps inside the (synchronous) call, freezing this
 * process's event loop, and backs off to 100 ms naps, so a process that
 * keeps the lock busy starves the others for hundreds of milliseconds. Here
 * `BEGIN IMMEDIATE` is tried with no busy wait and retried after a short,
 * jittered timer; the event loop keeps running, and a waiting process gets
 * in within a few milliseconds of a gap.
 *
 * The begin, the body and the commit run in one synchronous stretch, with no
 * `await` in between, so concurrent async callers in this process never
 * interleave inside a transaction on the shared connection.
 */

import type { Database } from "bun:sqlite";
import { StoreUnavailableError, toError } from "../../core/errors.ts";
import { BUSY_TIMEOUT_MS, openDatabase, type OpenOptions } from "./schema.ts";
import { Tally } from "../tally.ts";
import { addCounts, ListQueries, prepareStatements, type Statements } from "./statements.ts";

/** SQLite result codes that mean "the store cannot serve", not "you asked for something wrong". */
const UNAVAILABLE = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY|CORRUPT|NOTADB|PROTOCOL|PERM)/;
const LOCK_RETRY_MAX_MS = 4;

export class SqliteConnection {
  readonly db: Database;
  readonly st: Statements;
  readonly lists: ListQueries;
  /** The state moves of the write in progress; writes never overlap on one connection (see above), so one serves them all. */
  private readonly tally = new Tally();
  private closed = false;

  /** Opens, migrates and prepares; throws StoreUnavailableError naming the path. */
  constructor(
    readonly path: string,
    opts: OpenOptions = {},
  ) {
    this.db = openDatabase(path, opts);
    try {
      this.st = prepareStatements(this.db);
      this.lists = new ListQueries(this.db);
    } catch (err) {
      this.db.close();
      throw new StoreUnavailableError(`cannot prepare statements on SQLite store at ${path}: ${toError(err).message}`, { cause: err });
    }
  }

  read<T>(what: string, fn: (st: Statements) => T): T {
    try {
      return fn(this.st);
    } catch (err) {
      throw this.translate(what, err);
    }
  }

  /**
   * Runs `fn` in one write transaction: committed if it returns, rolled back
   * if it throws. `fn` records every state change it makes in the tally,
   * which goes into queue_counts in the same transaction.
   */
  async write<T>(what: string, fn: (st: Statements, tally: Tally) => T): Promise<T> {
    const { st } = this;
    // The budget counts the naps, not a clock: the injected clock may be a FakeClock that never moves.
    for (let napped = 0; ; ) {
      // A close() may have come while this call napped.
      if (this.closed) throw new StoreUnavailableError(`SQLite store at ${this.path} was closed before ${what} could run`);
      if (this.tryBegin(what)) {
        try {
          const out = fn(st, this.tally);
          if (!this.tally.empty) addCounts(st, this.tally);
          st.commit.run();
          return out;
        } catch (err) {
          this.tally.clear();
          if (this.db.inTransaction) st.rollback.run();
          throw this.translate(what, err);
        }
      }
      if (napped >= BUSY_TIMEOUT_MS) {
        throw new StoreUnavailableError(`SQLite store at ${this.path}: ${what} failed: the database stayed locked by another process for ${BUSY_TIMEOUT_MS} ms`);
      }
      const nap = 0.5 + Math.random() * (LOCK_RETRY_MAX_MS - 0.5);
      await new Promise((resolve) => setTimeout(resolve, nap));
      napped += nap;
    }
  }

  /** BEGIN IMMEDIATE without SQLite's blocking busy wait; false when another connection holds the write lock. */
  private tryBegin(what: string): boolean {
    // SQLite applies `PRAGMA busy_timeout = N` while preparing it, so a cached
    // statement would set it once only: these two are prepared on every call (~3 µs).
    this.db.run("PRAGMA busy_timeout = 0");
    try {
      this.st.begin.run();
      return true;
    } catch (err) {
      if (String((err as { code?: unknown }).code).startsWith("SQLITE_BUSY")) return false;
      throw this.translate(what, err);
    } finally {
      this.db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  /**
   * Resets the WAL when no reader pins it, so the space retention freed
   * leaves the disk too. Never waits for the lock: a busy store is simply
   * compacted next time.
   */
  checkpoint(): void {
    this.db.run("PRAGMA busy_timeout = 0");
    try {
      this.db.query("PRAGMA wal_checkpoint(TRUNCATE)").get();
    } catch {
      // Busy: another connection is writing or reading; the next retention pass tries again.
    } finally {
      this.db.run(`PRAGMA busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
  }

  translate(what: string, err: unknown): unknown {
    const code = (err as { code?: unknown } | null)?.code;
    if (typeof code === "string" && UNAVAILABLE.test(code)) {
      return new StoreUnavailableError(`SQLite store at ${this.path}: ${what} failed: ${toError(err).message}`, { cause: err });
    }
    return err;
  }

  close(): void {
    this.closed = true;
    this.lists.finalize();
    for (const stmt of Object.values(this.st)) stmt.finalize();
    this.db.close();
  }
}
