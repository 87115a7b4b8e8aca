/**
 * Retention keeps the SQLite store small on disk, not just in rows: after a
 * soak and one retention pass the file and its WAL shrink back (auto_vacuum
 * INCREMENTAL, set when the file is made, frees the pages; a WAL reset and
 * journal_size_limit cut the WAL). Before, 1,000 rows sat in a 90 MB file
 * plus a 64 MB WAL. The soak is 300,000 jobs with a 10 MB bound;
 * this one drains 60,000 and keeps the same bound, which leaves room.
 */

import { expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { FakeClock } from "../../src/core/clock.ts";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";

const size = (path: string) => (existsSync(path) ? statSync(path).size : 0);

test("after 60,000 jobs with 300-byte payloads and one retention pass (keep 1,000), file + WAL are under 10 MB and smaller than at the peak", async () => {
  const dir = mkdtempSync(join(tmpdir(), "qworker-size-"));
  const path = join(dir, "qworker.db");
  const clock = new FakeClock();
  const store = new SqliteStore({ path, clock });
  await store.open();
  try {
    const payload = { text: "p".repeat(300) };
    for (let round = 0; round < 60; round++) {
      await store.enqueue({ jobs: Array.from({ length: 1_000 }, () => ({ name: "soak", queue: "default", data: payload, maxAttempts: 1 })), now: clock.now() });
      for (;;) {
        const jobs = await store.reserve({ queues: ["default"], workerId: "w", max: 500, leaseMs: 30_000, now: clock.now() });
        if (jobs.length === 0) break;
        await store.complete({ workerId: "w", jobs: jobs.map((j) => ({ id: j.id, token: j.lease.token, result: { ok: true } })), now: clock.now() });
      }
      clock.advance(1_000);
    }
    const peak = size(path) + size(`${path}-wal`);
    const removed = await store.trim({ policy: { completedMaxAgeMs: 86_400_000, completedMaxCount: 1_000, failedMaxAgeMs: 86_400_000, failedMaxCount: 1_000 }, now: clock.now() });
    expect(removed).toBe(59_000);
    const after = size(path) + size(`${path}-wal`);
    expect(after).toBeLessThan(10 * 1024 * 1024);
    expect(after).toBeLessThan(peak / 2);
    expect((await store.listJobs({ limit: 2_000 })).jobs.length).toBe(1_000);
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}, 120_000);
