/**
 * `enqueue --wait` follows a job: on a terminal one line redrawn in place
 * (carriage return + erase line, a newline only at the end), elsewhere a
 * plain line per change and no control characters at all.
 */

import { expect, test } from "bun:test";
import type { JobRecord } from "../../src/core/types.ts";
import { followJob } from "../../src/cli/follow.ts";

function job(state: JobRecord["state"], pct?: number, msg?: string): JobRecord {
  return { id: "7", name: "report", queue: "default", data: {}, state, priority: 0, attemptsMade: 0, maxAttempts: 3, stalls: 0, runAt: 0, createdAt: 0, errors: [], ...(pct === undefined ? {} : { progress: { pct, msg } }) };
}

/** The job as it is seen on each poll: waiting, twice at 40 %, 80 %, completed. */
function ops() {
  const seen = [job("waiting"), job("active", 40, "step 2"), job("active", 40, "step 2"), job("active", 80, "step 4"), job("completed", 100)];
  let i = 0;
  return { getJob: async () => seen[Math.min(i++, seen.length - 1)], workers: async () => [] };
}

test("on a terminal: one line redrawn in place, a newline only at the end", async () => {
  let out = "";
  const final = await followJob(ops(), "7", { write: (t) => (out += t), tty: true, quiet: false, sleep: async () => {} });
  expect(final.state).toBe("completed");
  const frames = out.split("\r\x1b[2K").filter(Boolean);
  expect(frames.length).toBe(4); // the repeated 40 % poll draws nothing
  expect(frames[1]).toContain("active");
  expect(frames[1]).toContain("40% step 2");
  expect(frames[3]).toBe(frames[3].trimEnd() + "\n");
  expect(out.slice(0, -1)).not.toContain("\n");
});

test("in a pipe: a plain line per change, no carriage returns or escapes", async () => {
  let out = "";
  await followJob(ops(), "7", { write: (t) => (out += t), tty: false, quiet: false, sleep: async () => {} });
  const lines = out.trimEnd().split("\n");
  expect(lines.length).toBe(4);
  expect(lines[0]).toMatch(/^report 7 waiting +\[-+\] +0%$/);
  expect(lines[2]).toMatch(/^report 7 active +\[#{24}-{6}\] +80% step 4$/);
  expect(lines[3]).toContain("completed");
  expect(out).not.toMatch(/[\r\x1b]/);
});

test("--json: nothing while following", async () => {
  let out = "";
  await followJob(ops(), "7", { write: (t) => (out += t), tty: true, quiet: true, sleep: async () => {} });
  expect(out).toBe("");
});
