/**
 * ctx.log is bounded (issue 17): a try stores at most limits.jobLogLines
 * lines (the process log still gets every line) and then one line saying
 * where the rest went; each stored line's message and fields are cut to
 * size, so a job cannot flood the store.
 */

import { expect, test } from "bun:test";
import type { JobLogLine } from "../../src/core/types.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { JobLog } from "../../src/worker/job-log.ts";

test("1,500 lines from one try with a limit of 1,000: 1,000 are stored and then one line naming the limit; long messages and fields are cut; flush writes what is buffered", async () => {
  const stored: JobLogLine[] = [];
  let processLines = 0;
  const log = { ...silentLogger, info: () => void processLines++, child: () => log } as unknown as typeof silentLogger;
  const jobLog = new JobLog(log, 1, async (lines) => void stored.push(...lines), 1_000);
  for (let i = 0; i < 1_500; i++) jobLog.info(i === 0 ? "x".repeat(10_000) : `line ${i}`, i === 1 ? { blob: "y".repeat(10_000) } : undefined);
  await jobLog.flush();
  expect(processLines).toBe(1_500);
  expect(stored.length).toBe(1_001);
  expect(stored[0].msg.length).toBe(2_000);
  expect(stored[1].fields).toEqual({ note: expect.stringContaining("at most 4000 are kept") });
  expect(stored[999].msg).toBe("line 999");
  const note = stored[1_000];
  expect(note.level).toBe("warn");
  expect(note.msg).toContain("more than 1000 lines");
  expect(note.msg).toContain("limits.jobLogLines");
});

test("a try within the limit stores every line and no note", async () => {
  const stored: JobLogLine[] = [];
  const jobLog = new JobLog(silentLogger, 2, async (lines) => void stored.push(...lines), 5);
  for (let i = 0; i < 5; i++) jobLog.info(`line ${i}`);
  await jobLog.flush();
  expect(stored.map((l) => l.msg)).toEqual(["line 0", "line 1", "line 2", "line 3", "line 4"]);
  expect(stored.every((l) => l.attempt === 2)).toBe(true);
});
