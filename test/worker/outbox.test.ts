/**
 * The outbox keeps every outcome until the store has it. A lease lost while
 * an outcome is being written makes the pool forget that job's outcome;
 * the write in progress must not then take the next, unwritten outcome
 * off the list with it.
 */

import { expect, test } from "bun:test";
import type { Store } from "../../src/store/store.ts";
import { Outbox, type Pending, type Written } from "../../src/worker/outbox.ts";

const failed = (id: string): Pending => ({ id, name: "n", queue: "q", attempt: 1, outcome: { kind: "fail", error: new Error("x") }, durationMs: 1, waitMs: 0, workerId: "w", token: 1 });

test("an outcome forgotten while it is written does not take the next one off the list unwritten", async () => {
  const written: Written[] = [];
  const outbox = new Outbox((w) => written.push(w));
  const stored: string[] = [];
  let release!: () => void;
  const firstWrite = new Promise<void>((r) => (release = r));
  const store = {
    async fail(p: { id: string }) {
      if (p.id === "1") await firstWrite;
      stored.push(p.id);
    },
  } as unknown as Store;
  outbox.add(failed("1"));
  outbox.add(failed("2"));
  const writing = outbox.writeOthers(store, 0);
  outbox.forget("1"); // the lease of job 1 was lost while its outcome was on the wire
  release();
  await writing;
  expect(stored).toEqual(["1", "2"]);
  expect(outbox.size).toBe(0);
  expect(written.map((w) => w.id)).toEqual(["1", "2"]);
});
