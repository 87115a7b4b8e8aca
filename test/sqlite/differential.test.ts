/**
 * The SQLite store behaves exactly like the memory store (the reference):
 * the same seeded random operations on a real file, compared call by call
 * (test/contract/differential.ts).
 */

import { test } from "bun:test";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { compareWithMemory } from "../contract/differential.ts";

for (const seed of [1, 2, 3, 4, 5]) {
  test(`sqlite matches memory: 600 random operations, seed ${seed}`, async () => {
    await compareWithMemory(seed, 600, async (clock) => {
      const dir = await mkdtemp(join(tmpdir(), "qworker-diff-"));
      const store = new SqliteStore({ path: join(dir, "qworker.db"), clock });
      await store.open();
      return {
        store,
        cleanup: async () => {
          await store.close();
          await rm(dir, { recursive: true, force: true });
        },
      };
    });
  }, 60_000);
}
