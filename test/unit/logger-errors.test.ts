/**
 * What the log keeps of an error and what it never shows: an Error field
 * carries its stack and its `cause` chain in both formats (JSON for
 * journald, pretty for a terminal), and the admin token and store URL
 * passwords never appear in a line, whatever field or message holds them.
 */

import { expect, test } from "bun:test";
import { createLogger, type LogFormat } from "../../src/core/logger.ts";
import { redactText, secretsIn } from "../../src/core/redact.ts";
import { loadConfig } from "../../src/config/loader.ts";

function lines(format: LogFormat, secrets: string[] = []) {
  const out: string[] = [];
  return { out, log: createLogger({ format, tty: false, write: (l) => out.push(l), secrets }) };
}

function nested(): Error {
  const root = new Error("ECONNREFUSED 127.0.0.1:6379");
  (root as Error & { code: string }).code = "ECONNREFUSED";
  return new Error("store write failed", { cause: root });
}

test("JSON: an Error field has name, message, code, stack and the cause chain with its own stack", () => {
  const { out, log } = lines("json");
  log.error("job failed", { job: "send-email", id: "7", queue: "default", attempt: 2, error: nested() });
  const line = JSON.parse(out[0]);
  expect(line).toMatchObject({ level: "error", msg: "job failed", job: "send-email", id: "7", queue: "default", attempt: 2 });
  expect(line.error.name).toBe("Error");
  expect(line.error.message).toBe("store write failed");
  expect(line.error.stack).toContain("logger-errors.test.ts");
  expect(line.error.cause).toMatchObject({ name: "Error", message: "ECONNREFUSED 127.0.0.1:6379", code: "ECONNREFUSED" });
  expect(line.error.cause.stack).toContain("at ");
});

test("pretty: the error reads `Name: message` on the line, its frames and each cause's below it, indented", () => {
  const { out, log } = lines("pretty");
  log.error("job failed", { id: "7", error: nested() });
  const [first, ...rest] = out[0].split("\n");
  expect(first).toMatch(/ERROR job failed id=7 error="Error: store write failed"$/);
  expect(rest.some((l) => /^ {6}at .*logger-errors\.test\.ts/.test(l))).toBe(true);
  expect(rest).toContain("  caused by: Error: ECONNREFUSED 127.0.0.1:6379");
  expect(rest.findIndex((l) => l.startsWith("  caused by"))).toBeGreaterThan(0);
});

test("a non-Error cause and a cycle in the cause chain are shown without crashing", () => {
  const a = new Error("a", { cause: { reason: "quota" } });
  const b = new Error("b");
  (b as { cause?: unknown }).cause = b;
  for (const format of ["json", "pretty"] as const) {
    const { out, log } = lines(format);
    log.warn("x", { a, b });
    expect(out.length).toBe(1);
    expect(out[0]).toContain("quota");
  }
});

test("the admin token and URL passwords never appear, in either format, in messages or fields", () => {
  const config = loadConfig({
    env: { QWORKER_ADMIN_TOKEN: "tok-0123456789abcdef", QWORKER_REDIS_URL: "redis://:s3cr%40t-pass@redis.internal:6379/0" },
    cwd: "/nonexistent-qworker-dir",
  }).config;
  const secrets = secretsIn(config, config.admin.token);
  expect(secrets).toEqual(expect.arrayContaining(["tok-0123456789abcdef", "s3cr%40t-pass", "s3cr@t-pass"]));
  for (const format of ["json", "pretty"] as const) {
    const { out, log } = lines(format, secrets);
    log.error("cannot reach redis://:s3cr%40t-pass@redis.internal:6379/0", {
      url: config.store.redisUrl,
      header: "Bearer tok-0123456789abcdef",
      decoded: "password was s3cr@t-pass",
      pg: "postgres://qw:hunter22@db:5432/qw",
      error: new Error("auth failed for tok-0123456789abcdef", { cause: new Error("redis://u:s3cr@t-pass@h") }),
    });
    const text = out.join("\n");
    for (const s of ["tok-0123456789abcdef", "s3cr%40t-pass", "s3cr@t-pass", "t-pass", "hunter22"]) expect({ format, leaked: text.includes(s) }).toEqual({ format, leaked: false });
    expect(text).toContain("redis.internal");
    expect(text).toContain("postgres://qw:***@db:5432/qw");
  }
});

test("redactText leaves URLs without a password alone", () => {
  expect(redactText("http://127.0.0.1:7420/api and redis://localhost:6379")).toBe("http://127.0.0.1:7420/api and redis://localhost:6379");
  expect(redactText("redis://default:pw-1234@h:1")).toBe("redis://default:***@h:1");
});
