import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { SqliteStore } from "../../src/store/sqlite/sqlite-store.ts";
import { describeStore } from "./store-contract.ts";

// A real file per test (in its own temp folder, so WAL/SHM files go too): test files can run in parallel.
describeStore("sqlite", async (clock) => {
  const dir = await mkdtemp(join(tmpdir(), "qworker-sqlite-"));
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
