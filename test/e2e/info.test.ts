/**
 * `qworker info` from the compiled binary: version, platform with container
 * detection, the worker id a run would take, modes and pool sizes, queues,
 * store, admin address, and the QWORKER_* env in effect with every secret
 * masked. It starts nothing: no store file appears, no port is bound.
 */

import { afterAll, expect, test } from "bun:test";
import { existsSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import { makeProject, qw } from "../helpers/qworker-binary.ts";

const project = makeProject();
afterAll(() => project.cleanup());

test("info shows version, platform, worker id, modes, queues, store, admin address and env, with the token and store password masked, and starts nothing", async () => {
  const r = await qw(["info", "--mode", "thread", "--processes", "3", "--queues", "critical,default"], {
    cwd: project.dir,
    env: {
      QWORKER_ADMIN_TOKEN: "very-secret-token-123",
      QWORKER_BACKEND: "redis",
      QWORKER_REDIS_URL: "redis://app:hunter22@10.1.2.3:6379/2",
      QWORKER_CONCURENCY: "8",
    },
  });
  expect(r.code, r.stderr).toBe(0);
  expect(r.stdout).not.toContain("very-secret-token-123");
  expect(r.stdout).not.toContain("hunter22");
  const info = JSON.parse(r.stdout);
  expect(info).toMatchObject({
    version: expect.any(String),
    commit: expect.any(String),
    platform: { os: expect.stringMatching(/^(Linux|macOS)/), arch: expect.any(String), cpus: expect.any(Number) },
    workerId: `${hostname()}-<pid>-<0..2>`,
    modes: { default: "thread", available: ["async", "thread", "process"], supervisedProcesses: 3 },
    queues: { configured: ["critical", "default", "low"], worked: ["critical", "default"] },
    store: { backend: "redis", url: "redis://app:****@10.1.2.3:6379/2", prefix: "qw" },
    admin: { url: "http://127.0.0.1:7420", auth: "bearer token" },
    env: { QWORKER_ADMIN_TOKEN: "**** (set, 21 chars)", QWORKER_BACKEND: "redis", QWORKER_REDIS_URL: "redis://app:****@10.1.2.3:6379/2", QWORKER_LOG_FORMAT: "pretty" },
    envNotRead: ["QWORKER_CONCURENCY"],
  });
  expect(info.platform).toHaveProperty("container");
  if (existsSync("/.dockerenv")) expect(info.platform).toMatchObject({ container: "docker", containerEvidence: "/.dockerenv exists" });
  expect(info.config.admin.token).toBe("****");
  expect(existsSync(join(project.dir, "data"))).toBe(false);
}, 30_000);
