import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../src/core/errors.ts";
import { loadConfig } from "../../src/config/loader.ts";
import { configJsonSchema } from "../../src/config/schema.ts";

let dir: string;
const writeConfig = (value: unknown) => {
  mkdirSync(join(dir, "config"), { recursive: true });
  writeFileSync(join(dir, "config/qworker.json"), typeof value === "string" ? value : JSON.stringify(value));
};
const load = (flags: Record<string, unknown> = {}, env: Record<string, string> = {}) => loadConfig({ flags, env, cwd: dir }).config;
const failure = (fn: () => unknown): string => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error("expected a ConfigError");
};

describe("loadConfig", () => {
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), "qw-config-"));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test("defaults: sqlite at ./data/qworker.db, three queues, durations in ms, paths absolute", () => {
    const c = load();
    expect(c.store).toMatchObject({ backend: "sqlite", db: join(dir, "data/qworker.db") });
    expect(c.jobs).toBe(join(dir, "jobs"));
    expect(c.queues).toEqual(["critical", "default", "low"]);
    expect(c.worker).toMatchObject({ concurrency: 10, lease: 30_000, maxStalls: 2, shutdownTimeout: 25_000, role: "all", mode: "async" });
    expect(c.retention).toMatchObject({ completedMaxAge: 86_400_000, completedMaxCount: 1_000, failedMaxAge: 604_800_000 });
    expect(c.admin).toMatchObject({ host: "127.0.0.1", port: 7420 });
  });

  test("precedence: flags > env > file > defaults", () => {
    writeConfig({ worker: { concurrency: 3, role: "worker" }, store: { backend: "redis" }, jobs: "./from-file" });
    expect(load().worker.concurrency).toBe(3);
    expect(load({}, { QWORKER_CONCURRENCY: "7" }).worker.concurrency).toBe(7);
    expect(load({ concurrency: 9 }, { QWORKER_CONCURRENCY: "7" }).worker.concurrency).toBe(9);
    const c = load({ backend: "memory" }, { QWORKER_QUEUES: "critical, low" });
    expect(c.store.backend).toBe("memory");
    expect(c.worker.queues).toEqual(["critical", "low"]);
    expect(c.worker.role).toBe("worker");
    expect(c.jobs).toBe(join(dir, "from-file"));
  });

  test("modes and pools: --mode takes async, thread or process; --processes 1-64 and unset by default; threads, children and maxMemoryMb are bounded", () => {
    expect(load().worker.processes).toBeUndefined();
    expect(load({ mode: "thread", processes: 4 }).worker).toMatchObject({ mode: "thread", processes: 4 });
    expect(failure(() => load({ mode: "fast" }))).toContain('flag --mode: Invalid option: expected one of "async"|"thread"|"process"');
    expect(failure(() => load({ processes: 65 }))).toContain("flag --processes: Too big: expected number to be <=64");
    expect(failure(() => load({}, { QWORKER_PROCESSES: "0" }))).toContain("env QWORKER_PROCESSES: Too small");
    writeConfig({ worker: { threads: 0, children: 65, maxMemoryMb: 8 } });
    const message = failure(() => load());
    expect(message).toContain("worker.threads");
    expect(message).toContain("worker.children");
    expect(message).toContain("worker.maxMemoryMb");
  });

  test("a typo'd key names the file and the key", () => {
    writeConfig({ worker: { concurency: 5 } });
    expect(failure(() => load())).toMatch(/config\/qworker\.json: worker: .*unknown key: concurency/);
  });

  test("a wrong type names the field; a bad flag or env value names the flag or variable", () => {
    writeConfig({ admin: { port: "http" } });
    expect(failure(() => load())).toContain("config/qworker.json: admin.port:");
    writeConfig({});
    expect(failure(() => load({ backend: "mongo" }))).toContain("flag --backend:");
    expect(failure(() => load({}, { QWORKER_ROLE: "boss" }))).toContain("env QWORKER_ROLE:");
    expect(failure(() => load({}, { QWORKER_ADMIN_PORT: "seventy" }))).toContain('env QWORKER_ADMIN_PORT: "seventy" is not a number');
    expect(failure(() => load({ concurrency: 0 }))).toContain("flag --concurrency:");
  });

  test("bad durations, queues that are not configured, and duplicate schedule names", () => {
    writeConfig({ worker: { lease: "soon" } });
    expect(failure(() => load())).toMatch(/worker\.lease: "soon" is not a duration/);
    writeConfig({ worker: { queues: ["urgent"] } });
    expect(failure(() => load())).toContain('worker.queues names "urgent"');
    writeConfig({ schedules: [{ job: "a", cron: "* * * * *" }, { job: "a", cron: "0 * * * *" }] });
    expect(failure(() => load())).toContain('schedules[1]: a schedule named "a" already exists');
  });

  test("every duration is bounded: a lease of 0 or of 99999999999999999999d names the field and the range; leaderRenew must be at most half of leaderTtl", () => {
    writeConfig({ worker: { lease: 0 } });
    expect(failure(() => load())).toMatch(/worker\.lease.*out of range; use from 1\.0s to 1d0h/);
    writeConfig({ worker: { lease: "99999999999999999999d" } });
    expect(failure(() => load())).toMatch(/worker\.lease.*out of range/);
    writeConfig({ scheduler: { leaderTtl: 0 } });
    expect(failure(() => load())).toMatch(/scheduler\.leaderTtl.*out of range/);
    writeConfig({ scheduler: { leaderTtl: "99999999999999999999d" } });
    expect(failure(() => load())).toMatch(/scheduler\.leaderTtl.*out of range/);
    writeConfig({ retention: { completedMaxAge: "100000d" } });
    expect(failure(() => load())).toMatch(/retention\.completedMaxAge.*out of range/);
    writeConfig({ scheduler: { leaderTtl: "4s", leaderRenew: "3s" } });
    expect(failure(() => load())).toContain("scheduler.leaderRenew (3.0s) must be at most half of scheduler.leaderTtl (4.0s)");
    writeConfig({ worker: { lease: "1s", heartbeat: "100ms" }, scheduler: { leaderTtl: "1s", leaderRenew: "500ms" } });
    expect(load().worker.lease).toBe(1_000);
  });

  test("the admin token from --admin-token-file (trailing newline dropped) or a systemd credential; never two ways; a short or empty file is refused without echoing it", () => {
    const tokenFile = join(dir, "token");
    writeFileSync(tokenFile, "s3cret-token-from-a-file\n");
    expect(load({ "admin-token-file": tokenFile }).admin.token).toBe("s3cret-token-from-a-file");
    expect(load({}, { QWORKER_ADMIN_TOKEN_FILE: "token" }).admin.token).toBe("s3cret-token-from-a-file");
    expect(failure(() => load({ "admin-token-file": tokenFile, "admin-token": "another-token-of-16+" }))).toContain("admin.token and admin.tokenFile are both set");
    const creds = join(dir, "creds");
    mkdirSync(creds);
    writeFileSync(join(creds, "admin-token"), "token-from-systemd-credential");
    expect(load({}, { CREDENTIALS_DIRECTORY: creds }).admin.token).toBe("token-from-systemd-credential");
    // An explicit token wins over the credential.
    expect(load({ "admin-token": "explicit-token-0123456" }, { CREDENTIALS_DIRECTORY: creds }).admin.token).toBe("explicit-token-0123456");
    writeFileSync(tokenFile, "short-secret\n");
    const short = failure(() => load({ "admin-token-file": tokenFile }));
    expect(short).toContain("is 12 characters; it must be at least 16");
    expect(short).not.toContain("short-secret");
    writeFileSync(tokenFile, "\n");
    expect(failure(() => load({ "admin-token-file": tokenFile }))).toContain("is empty");
    expect(failure(() => load({ "admin-token-file": join(dir, "nope") }))).toContain("no such file");
  });

  test("--admin-token on the command line works but warns that ps shows it; the env variable and the file do not warn", () => {
    expect(loadConfig({ flags: { "admin-token": "flag-token-0123456789" }, env: {}, cwd: dir }).warnings.join()).toContain("--admin-token-file");
    expect(loadConfig({ flags: {}, env: { QWORKER_ADMIN_TOKEN: "env-token-0123456789" }, cwd: dir }).warnings).toEqual([]);
  });

  test("Redis options: --allow-eviction and QWORKER_ALLOW_EVICTION take yes/no values; queueTags may only name configured queues; sentinels need a master name", async () => {
    expect(load().store.allowEviction).toBe(false);
    expect(load({ "allow-eviction": true }).store.allowEviction).toBe(true);
    expect(load({}, { QWORKER_ALLOW_EVICTION: "1" }).store.allowEviction).toBe(true);
    expect(load({ "allow-eviction": false }, { QWORKER_ALLOW_EVICTION: "1" }).store.allowEviction).toBe(false);
    expect(failure(() => load({}, { QWORKER_ALLOW_EVICTION: "maybe" }))).toContain("env QWORKER_ALLOW_EVICTION");
    writeConfig({ store: { queueTags: { a: ["critical"], b: ["default", "nope"] } } });
    expect(failure(() => load())).toContain('store.queueTags.b names "nope"');
    writeConfig({ store: { queueTags: { a: ["critical"], b: ["default", "low"] } } });
    expect(load().store.queueTags).toEqual({ a: ["critical"], b: ["default", "low"] });
    const { redisUrlOf } = await import("../../src/store/redis/connection.ts");
    expect(redisUrlOf({ redisUrl: "rediss://app:pw@x:1", sentinels: ["s1:26379", "s2:26380"], sentinelMaster: "mymaster" })).toBe("rediss-sentinel://app:pw@s1:26379,s2:26380/mymaster");
    expect(() => redisUrlOf({ redisUrl: "redis://x:1", sentinels: ["s1:26379"] })).toThrow("go together");
  });

  test("limits.jobLogLines: 200 by default, 1-1000, a value out of range names the key", () => {
    writeConfig({});
    expect(load().limits.jobLogLines).toBe(200);
    writeConfig({ limits: { jobLogLines: 1_000 } });
    expect(load().limits.jobLogLines).toBe(1_000);
    for (const bad of [0, 1_001, 2.5, "200"]) {
      writeConfig({ limits: { jobLogLines: bad } });
      expect(failure(() => load())).toContain("limits.jobLogLines");
    }
  });

  test("a file that is not JSON, and a --config that does not exist", () => {
    writeConfig("{ nope");
    expect(failure(() => load())).toContain("is not valid JSON");
    expect(failure(() => load({ config: "other.json" }))).toContain("other.json does not exist (from --config)");
  });

  test("the JSON Schema for editors describes the same keys", () => {
    const schema = configJsonSchema() as { properties: Record<string, { properties?: Record<string, unknown> }>; additionalProperties: boolean };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(["jobs", "queues", "store", "worker", "admin", "retention", "scheduler", "schedules", "log"]));
    expect(Object.keys(schema.properties.worker.properties!)).toEqual(expect.arrayContaining(["concurrency", "lease", "maxStalls", "role", "mode"]));
    expect(schema.additionalProperties).toBe(false);
  });

  test("comments and trailing commas are accepted, as in the README's example", () => {
    writeConfig('{\n  // the queues\n  "queues": ["a", "b",], /* strict order */\n  "worker": { "concurrency": 3, },\n}\n');
    const c = load();
    expect(c.queues).toEqual(["a", "b"]);
    expect(c.worker.concurrency).toBe(3);
  });

  test("a syntax error names the file, the line and the column", () => {
    writeConfig('{\n  "queues": ["a"]\n  "worker": {}\n}');
    expect(failure(load)).toMatch(/config\/qworker\.json:3:3 is not valid JSON: expected , or }/);
  });

  test("a config nested 100,000 levels deep is refused by its depth, not a stack overflow", () => {
    writeConfig(`{"x":${"[".repeat(100_000)}`);
    expect(failure(load)).toContain("nest more than 64 levels deep");
  });

  test("--config must be a regular file: a FIFO is refused at once, never read", () => {
    const fifo = join(dir, "fifo.json");
    expect(Bun.spawnSync(["mkfifo", fifo]).exitCode).toBe(0);
    expect(failure(() => load({ config: fifo }))).toContain("is not a regular file");
  });

  test("a single-valued flag given twice is an error naming it, not the two values joined by a comma", () => {
    expect(failure(() => load({ db: ["a.db", "b.db"] }))).toBe("--db is given 2 times; give it once");
  });
});
