/**
 * ctx.log is bounded (issue 17): a chatty job stores at most 1,000 lines
 * per try (the process log still gets every line), and each stored line's
 * message and fields are cut to size, so a job cannot flood the store.
 */

import { expect, test } from "bun:test";
import type { JobLogLine } from "../../src/core/types.ts";
import { silentLogger } from "../../src/core/logger.ts";
import { JobLog } from "../../src/worker/job-log.ts";

test("1,500 lines from one try: 1,000 are stored, long messages and fields are cut, and flush writes what is buffered", async () => {
  const stored: JobLogLine[] = [];
  let processLines = 0;
  const log = { ...silentLogger, info: () => void processLines++, child: () => log } as unknown as typeof silentLogger;
  const jobLog = new JobLog(log, 1, async (lines) => void stored.push(...lines));
  for (let i = 0; i < 1_500; i++) jobLog.info(i === 0 ? "x".repeat(10_000) : `line ${i}`, i === 1 ? { blob: "y".repeat(10_000) } : undefined);
  await jobLog.flush();
  expect(processLines).toBe(1_500);
  expect(stored.length).toBe(1_000);
  expect(stored[0].msg.length).toBe(2_000);
  expect(stored[1].fields).toEqual({ note: expect.stringContaining("at most 4000 are kept") });
  expect(stored.at(-1)!.msg).toBe("line 999");
});
