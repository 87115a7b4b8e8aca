/**
 * The PostgreSQL store behaves exactly like the memory store (the
 * reference): the same seeded random operations, compared call by call
 * (test/contract/differential.ts), each seed in a schema of its own in one
 * fresh database.
 */

import { afterAll, beforeAll, test } from "bun:test";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { compareWithMemory } from "../contract/differential.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { describeNeeding } from "../helpers/requirements.ts";

describeNeeding("postgres")("postgres store matches the memory store", () => {
  let db: TestDatabase;

  beforeAll(async () => {
    db = await createTestDatabase("differential");
  });
  afterAll(async () => {
    await db?.drop();
  });

  for (const seed of [1, 2, 3, 4, 5]) {
    test(`600 random operations, seed ${seed}`, async () => {
      await compareWithMemory(seed, 600, async (clock) => {
        const schema = `diff_${seed}`;
        const store = new PostgresStore({ url: db.url, schema, clock });
        await store.open();
        return {
          store,
          cleanup: async () => {
            await store.close();
            await db.dropSchema(schema);
          },
        };
      });
    }, 120_000);
  }
});
