/**
 * PostgreSQL for tests, two ways:
 *
 * - `createTestDatabase()`: a fresh database on the machine's server
 *   (127.0.0.1:5432, user postgres, trust; QWORKER_TEST_POSTGRES_URL points
 *   elsewhere), one per test file, dropped by `drop()` in afterAll. Test
 *   files run in parallel and never see each other's tables. This server is
 *   shared with other people and runs: tests never restart it.
 * - `startPrivatePostgres()`: a cluster of its own (initdb into a temp dir,
 *   pg_ctl on a free port), for tests that stop and restart the server.
 *
 * Whether these suites run is decided by test/helpers/requirements.ts
 * (`describeNeeding("postgres")`): they skip where PostgreSQL is not
 * installed, and fail under QWORKER_REQUIRE_POSTGRES=1 or QWORKER_CI=1;
 * `.ci/run` installs and starts the server.
 */

import { spawnSync } from "node:child_process";
import { chownSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir, userInfo } from "node:os";
import { dirname, join } from "node:path";
import pg from "pg";
import { toolPath } from "./requirements.ts";

export const ADMIN_URL = process.env.QWORKER_TEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

export interface TestDatabase {
  name: string;
  /** A URL to the new database, same server and user as ADMIN_URL. */
  url: string;
  /** Drops a schema of this database (a store's tables), for tests that make one per case. */
  dropSchema(schema: string): Promise<void>;
  /** Runs one statement in this database. */
  query<R = Record<string, unknown>>(text: string, values?: unknown[]): Promise<R[]>;
  /** Drops the database, disconnecting whoever is still on it. Idempotent. */
  drop(): Promise<void>;
}

function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

async function adminQuery(text: string, url = ADMIN_URL): Promise<void> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
  client.on("error", () => {});
  try {
    await client.connect();
  } catch (err) {
    throw new Error(
      `no PostgreSQL answers at ${url} (${(err as Error).message}); start it (e.g. pg_ctlcluster 15 main start, as .ci/run does) or set QWORKER_TEST_POSTGRES_URL`,
    );
  }
  try {
    await client.query(text);
  } finally {
    await client.end().catch(() => {});
  }
}

/** A new, empty database on the shared server; call `drop()` in afterAll. */
export async function createTestDatabase(label: string): Promise<TestDatabase> {
  const name = `qwtest_${label.replace(/[^a-z0-9]/gi, "").toLowerCase().slice(0, 20)}_${process.pid}_${Math.random().toString(36).slice(2, 8)}`;
  await adminQuery(`CREATE DATABASE "${name}"`);
  const url = withDatabase(ADMIN_URL, name);
  const pool = new pg.Pool({ connectionString: url, max: 2 });
  pool.on("error", () => {});
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await pool.end().catch(() => {});
    await adminQuery(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  };
  return {
    name,
    url,
    dropSchema: async (schema) => {
      await pool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    },
    query: async <R,>(text: string, values?: unknown[]) => (await pool.query(text, values)).rows as R[],
    drop,
  };
}

export interface PrivatePostgres {
  /** postgres://postgres@127.0.0.1:<port>/postgres */
  url: string;
  port: number;
  /** Stops the server (fast shutdown: running transactions roll back, committed ones are on disk). */
  halt(): Promise<void>;
  /** Starts it again on the same port and data directory. */
  start(): Promise<void>;
  /** `pg_ctl restart -m fast`: down for a moment, data kept. */
  restart(): Promise<void>;
  /** Stops it and deletes its data directory. Idempotent. */
  stop(): Promise<void>;
}

/**
 * A private cluster for tests that restart the server. initdb refuses to
 * run as root, so as root it runs as the `postgres` user (the Debian
 * package's), in a temp dir that user owns.
 */
export async function startPrivatePostgres(): Promise<PrivatePostgres> {
  const server = toolPath("postgres");
  if (!server) throw new Error("PostgreSQL's server binaries are not installed");
  const bin = dirname(server);
  const dir = mkdtempSync(join(tmpdir(), "qworker-pg-"));
  const data = join(dir, "data");
  const asRoot = userInfo().uid === 0;
  const run = (cmd: string[]) => {
    const full = asRoot ? ["runuser", "-u", "postgres", "--", ...cmd] : cmd;
    const r = spawnSync(full[0], full.slice(1), { encoding: "utf8" });
    if (r.status !== 0) throw new Error(`${cmd.join(" ")} failed (${r.status}): ${r.stderr || r.stdout}`);
  };
  if (asRoot) chownSync(dir, uid("postgres"), gid("postgres"));
  run([join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
  let port = 0;
  let running = false;
  const pgCtl = (args: string[]) =>
    run([join(bin, "pg_ctl"), "-D", data, "-l", join(dir, "server.log"), "-w", "-t", "60", ...args]);
  const options = () => `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c max_connections=200`;
  const start = async () => {
    pgCtl(["-o", options(), "start"]);
    running = true;
    await waitUntilReady(port);
  };
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    try {
      await start();
      break;
    } catch (err) {
      // Another process may have taken the port between our probe and the bind.
      if (attempt >= 3) throw err;
    }
  }
  const halt = async () => {
    if (!running) return;
    pgCtl(["-m", "fast", "stop"]);
    running = false;
  };
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await halt().catch(() => {});
    rmSync(dir, { recursive: true, force: true });
  };
  cleanups.add(() => {
    if (running) spawnSync(asRoot ? "runuser" : join(bin, "pg_ctl"), asRoot ? ["-u", "postgres", "--", join(bin, "pg_ctl"), "-D", data, "-m", "immediate", "stop"] : ["-D", data, "-m", "immediate", "stop"]);
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    halt,
    start,
    async restart() {
      pgCtl(["-m", "fast", "-o", options(), "restart"]);
      running = true;
      await waitUntilReady(port);
    },
    stop,
  };
}

async function waitUntilReady(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const client = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres`, connectionTimeoutMillis: 1_000 });
    client.on("error", () => {});
    try {
      await client.connect();
      await client.query("SELECT 1");
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`the private PostgreSQL on port ${port} did not answer within 30 s: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 100));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

function uid(user: string): number {
  return Number(spawnSync("id", ["-u", user], { encoding: "utf8" }).stdout.trim());
}

function gid(user: string): number {
  return Number(spawnSync("id", ["-g", user], { encoding: "utf8" }).stdout.trim());
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const p = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

/** Cleanups for databases and clusters still around when the test process ends. */
const cleanups = new Set<() => void>();
process.once("exit", () => {
  for (const c of cleanups) c();
});
