/**
 * Tests never take a fixed port, so they run beside a developer's
 * `npm start` (admin API on 7420), a local Redis (6379) and each other.
 * Here those default ports are held by listeners of this test while
 * server-starting flows run; the e2e helper also refuses a `run` that would
 * bind the default admin port.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createConnection, createServer, type Server as NetServer } from "node:net";
import { assertFreeAdminPort, makeProject, qw, startServer, type Project } from "../helpers/qworker-binary.ts";
import { startRedisServer, type RedisServer } from "../helpers/redis-server.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { within } from "../helpers/wait.ts";

const DEFAULT_PORTS = [7420, 6379];
const GREETING = "held by the default-ports test\n";

/** Listens on 127.0.0.1:port; undefined when something else holds it already (just as good: it is taken). */
function hold(port: number): Promise<NetServer | undefined> {
  return new Promise((resolve) => {
    const srv = createServer((socket) => socket.end(GREETING));
    srv.once("error", () => resolve(undefined));
    srv.listen(port, "127.0.0.1", () => resolve(srv));
  });
}

/** What a client reading from 127.0.0.1:port first receives. */
function greeting(port: number): Promise<string> {
  return within(
    new Promise((resolve, reject) => {
      let text = "";
      const socket = createConnection(port, "127.0.0.1");
      socket.on("data", (d) => (text += d.toString()));
      socket.on("end", () => resolve(text));
      socket.on("error", reject);
    }),
    5_000,
    `a greeting on port ${port}`,
  );
}

let holders: (NetServer | undefined)[] = [];
const projects: Project[] = [];

beforeAll(async () => {
  holders = await Promise.all(DEFAULT_PORTS.map(hold));
});

afterAll(async () => {
  await Promise.all(holders.map((h) => h && new Promise((r) => h.close(r))));
  projects.forEach((p) => p.cleanup());
});

/** The listeners that are ours still answer: nothing in the flow took their ports over. */
async function expectHoldersIntact(): Promise<void> {
  for (const [i, h] of holders.entries()) if (h) expect(await greeting(DEFAULT_PORTS[i])).toBe(GREETING);
}

describe("e2e: the default ports are taken", () => {
  test("run --admin-port 0 and enqueue --wait on sqlite work beside listeners on 7420 and 6379", async () => {
    const project = makeProject();
    projects.push(project);
    const server = startServer(["--admin-port", "0", "--concurrency", "2"], { cwd: project.dir, env: { QW_TEST_OUT: project.out } });
    try {
      const url = new URL(await server.adminUrl());
      expect(DEFAULT_PORTS).not.toContain(Number(url.port));
      const r = await qw(["enqueue", "progress", "--data", '{"steps":2,"stepMs":10}', "--wait"], { cwd: project.dir });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\d+ completed\n/);
      await expectHoldersIntact();
    } finally {
      server.kill("SIGTERM");
      expect(await within(server.exited, 30_000, "the server to stop")).toBe(0);
    }
  }, 60_000);

  test("the e2e helper refuses a run that would bind the default admin port, or any fixed one", () => {
    expect(() => assertFreeAdminPort([])).toThrow(/pass --admin-port 0/);
    expect(() => assertFreeAdminPort(["--role", "api"])).toThrow(/default admin port 7420/);
    expect(() => assertFreeAdminPort(["--role", "worker", "--admin-port", "7420"])).toThrow(/must not bind 7420/);
    expect(() => assertFreeAdminPort([], { QWORKER_ADMIN_PORT: "8080" })).toThrow(/must not bind 8080/);
    expect(() => assertFreeAdminPort(["--admin-port=0"])).not.toThrow();
    expect(() => assertFreeAdminPort(["--role", "worker"])).not.toThrow();
    expect(() => assertFreeAdminPort(["--role", "scheduler"])).not.toThrow();
  });
});

describeNeeding("redis-server")("e2e: the default ports are taken, on redis", () => {
  let redis: RedisServer;
  beforeAll(async () => {
    redis = await startRedisServer();
  });
  afterAll(async () => {
    await redis?.stop();
  });

  test("a private redis-server, run --admin-port 0 and enqueue --wait work beside listeners on 7420 and 6379", async () => {
    expect(DEFAULT_PORTS).not.toContain(redis.port);
    const project = makeProject();
    projects.push(project);
    const env = { QWORKER_BACKEND: "redis", QWORKER_REDIS_URL: redis.url, QW_TEST_OUT: project.out };
    const server = startServer(["--admin-port", "0", "--concurrency", "2"], { cwd: project.dir, env });
    try {
      expect(DEFAULT_PORTS).not.toContain(Number(new URL(await server.adminUrl()).port));
      const r = await qw(["enqueue", "progress", "--data", '{"steps":2,"stepMs":10}', "--wait"], { cwd: project.dir, env });
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^\d+ completed\n/);
      await expectHoldersIntact();
    } finally {
      server.kill("SIGTERM");
      expect(await within(server.exited, 30_000, "the server to stop")).toBe(0);
    }
  }, 60_000);
});
