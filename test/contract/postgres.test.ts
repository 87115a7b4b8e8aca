/**
 * The Store contract against a real PostgreSQL: one fresh database on the
 * machine's server for this file (dropped afterwards), and a fresh schema
 * per test, so tests never see each other's jobs.
 */

import { afterAll, beforeAll } from "bun:test";
import { PostgresStore } from "../../src/store/postgres/postgres-store.ts";
import { createTestDatabase, type TestDatabase } from "../helpers/postgres.ts";
import { describeNeeding } from "../helpers/requirements.ts";
import { describeStore } from "./store-contract.ts";

describeNeeding("postgres")("postgres", () => {
  let db: TestDatabase;
  let n = 0;

  beforeAll(async () => {
    db = await createTestDatabase("contract");
  });

  afterAll(async () => {
    await db?.drop();
  });

  describeStore("postgres", async (clock) => {
    const schema = `contract_${n++}`;
    const store = new PostgresStore({ url: db.url, schema, clock });
    await store.open();
    return {
      store,
      async cleanup() {
        await store.close();
        await db.dropSchema(schema);
      },
    };
  }, { flow: false });
});
