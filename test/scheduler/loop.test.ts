// The loop under every scheduler service: errors do not kill it, wake() is never lost,
// stop() waits for the round in flight and is idempotent, and it restarts after a stop.

import { expect, test } from "bun:test";
import { Loop } from "../../src/scheduler/loop.ts";
import { waitFor, within } from "../helpers/wait.ts";

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

test("a throwing round is reported and the loop goes on", async () => {
  let rounds = 0;
  const errors: string[] = [];
  const loop = new Loop({
    round: async () => {
      rounds++;
      if (rounds === 1) throw new Error("store down");
      return 60_000;
    },
    onError: (err) => (errors.push(err.message), 0),
  });
  loop.start();
  await waitFor(() => rounds === 2, { what: "a second round after the error" });
  expect(errors).toEqual(["store down"]);
  await loop.stop();
});

test("wake() during a round runs the next round at once; during a sleep it cuts the sleep", async () => {
  let rounds = 0;
  const gate = deferred();
  const loop = new Loop({
    round: async () => {
      rounds++;
      if (rounds === 1) await gate.promise;
      return 60_000;
    },
    onError: () => 60_000,
  });
  loop.start();
  await waitFor(() => rounds === 1);
  loop.wake(); // arrives mid-round
  gate.resolve();
  await waitFor(() => rounds === 2, { timeoutMs: 2_000, what: "the round after a mid-round wake" });
  loop.wake(); // arrives mid-sleep
  await waitFor(() => rounds === 3, { timeoutMs: 2_000, what: "the round after a mid-sleep wake" });
  await loop.stop();
});

test("stop() waits for the round in flight, is idempotent, and the loop can start again", async () => {
  let rounds = 0;
  let inFlight = false;
  const gate = deferred();
  const loop = new Loop({
    round: async () => {
      rounds++;
      inFlight = true;
      if (rounds === 1) await gate.promise;
      inFlight = false;
      return 60_000;
    },
    onError: () => 60_000,
  });
  await loop.stop(); // before start
  loop.start();
  await waitFor(() => inFlight);
  const stopped = loop.stop();
  let done = false;
  void stopped.then(() => (done = true));
  await Promise.resolve();
  expect(done).toBe(false);
  gate.resolve();
  await within(stopped, 2_000, "stop");
  expect(inFlight).toBe(false);
  await loop.stop();
  expect(loop.active).toBe(false);

  loop.start();
  await waitFor(() => rounds === 2, { what: "a round after restarting" });
  await loop.stop();
});
