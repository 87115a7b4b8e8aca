/**
 * Log lines leave in batches (core/log-sink.ts): one write per event loop
 * turn instead of one per line. These check what a reader of stderr relies
 * on: every line arrives, in order, before the process's own last words,
 * and nothing waiting is lost when the process exits.
 */

import { expect, test } from "bun:test";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");

async function run(code: string): Promise<{ stderr: string; code: number }> {
  const proc = Bun.spawn([process.execPath, "-e", code], { cwd: ROOT, stdout: "ignore", stderr: "pipe" });
  const [stderr, exit] = await Promise.all([new Response(proc.stderr).text(), proc.exited]);
  return { stderr, code: exit };
}

const prelude = `import { createLogger } from "./src/core/logger.ts"; import { flushLogLines } from "./src/core/log-sink.ts"; const log = createLogger({ format: "json" });`;

test("lines logged just before process.exit all reach stderr, in order", async () => {
  const r = await run(`${prelude} for (let i = 0; i < 5; i++) log.info("line " + i); process.exit(3);`);
  expect(r.code).toBe(3);
  expect(r.stderr.trim().split("\n").map((l) => JSON.parse(l).msg)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
});

test("20,000 lines in one turn and more in later turns arrive whole and in order; a direct write after a flush comes after them", async () => {
  const r = await run(
    `${prelude} for (let i = 0; i < 20000; i++) log.info("a" + i, { i }); await new Promise((r) => setTimeout(r, 5)); log.warn("later"); flushLogLines(); process.stderr.write("direct\\n");`,
  );
  const lines = r.stderr.trim().split("\n");
  expect(lines).toHaveLength(20_002);
  expect(lines.slice(0, 20_000).every((l, i) => JSON.parse(l).i === i)).toBe(true);
  expect(JSON.parse(lines[20_000]).msg).toBe("later");
  expect(lines[20_001]).toBe("direct");
});

test("an uncaught error still lets the waiting lines out", async () => {
  const r = await run(`${prelude} log.error("before the crash"); throw new Error("boom");`);
  expect(r.code).not.toBe(0);
  expect(r.stderr).toContain('"msg":"before the crash"');
});
