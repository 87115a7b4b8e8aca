/**
 * Compile-time checks of the client's generics: `tsc --noEmit -p .` fails
 * if a `@ts-expect-error` below stops being an error. The calls never run
 * (no server); the test only keeps the file in the suite.
 */

import { expect, test } from "bun:test";
import { QworkerClient, type EnqueueItem, type JobRecord } from "../../src/client.ts";

type Jobs = {
  "send-email": { to: string; subject: string };
  cleanup: undefined;
  "maybe-data": { dryRun?: boolean } | undefined;
};

async function typed(client: QworkerClient<Jobs>): Promise<void> {
  await client.enqueue("send-email", { to: "a@b.co", subject: "hi" });
  await client.enqueue("send-email", { to: "a@b.co", subject: "hi" }, { in: 5, at: new Date(), queue: "low", key: "k" });
  await client.enqueue<"send-email">("send-email", { to: "a@b.co", subject: "hi" });
  await client.enqueue("cleanup");
  await client.enqueue("maybe-data");
  await client.enqueue("maybe-data", { dryRun: true });
  // @ts-expect-error unknown job name
  await client.enqueue("send-emial", { to: "a@b.co", subject: "hi" });
  // @ts-expect-error payload misses `subject`
  await client.enqueue("send-email", { to: "a@b.co" });
  // @ts-expect-error payload is required for send-email
  await client.enqueue("send-email");
  // @ts-expect-error unknown option
  await client.enqueue("cleanup", undefined, { delay: 5 });

  const items: EnqueueItem<Jobs>[] = [{ name: "send-email", data: { to: "x@y.z", subject: "s" } }, { name: "cleanup", priority: 1 }];
  await client.enqueueMany(items);
  // @ts-expect-error data does not match its name
  await client.enqueueMany([{ name: "send-email", data: { dryRun: true } }]);

  const job: JobRecord = await client.waitFor("id", { timeoutMs: 1_000, onProgress: (p) => p.pct.toFixed(0) });
  job.state satisfies "waiting" | "delayed" | "active" | "completed" | "failed" | "cancelled";
}

async function untyped(client: QworkerClient): Promise<void> {
  await client.enqueue("anything", { any: "shape" });
  await client.enqueue("anything");
  await client.enqueueMany([{ name: "a", data: 1 }, { name: "b" }]);
}

test("the typing checks compile (see tsc)", () => {
  expect(typeof typed).toBe("function");
  expect(typeof untyped).toBe("function");
});
