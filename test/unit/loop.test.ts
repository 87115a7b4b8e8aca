// The loop under every background service: errors do not kill it, wake() is never lost,
// stop() waits for the round in flight and is idempotent, it restarts after a stop, and
// it never starves the event loop's other phases.

import { expect, test } from "bun:test";
import { Loop } from "../../src/core/loop.ts";
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
    name: "test",
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
    name: "test",
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
    name: "test",
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

test("rounds that never wait for I/O still let timers and HTTP run between them", async () => {
  let rounds = 0;
  // Each round resolves at once, as a SQLite call that got the lock or a job with no I/O does.
  const loop = new Loop({ name: "busy", round: async () => void rounds++, onError: () => 0 });
  const server = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: () => new Response("ok") });
  try {
    loop.start();
    const timerAt = await new Promise<number>((resolve) => {
      const t0 = performance.now();
      setTimeout(() => resolve(performance.now() - t0), 10);
    });
    const t0 = performance.now();
    const res = await fetch(`http://127.0.0.1:${server.port}/`);
    const httpMs = performance.now() - t0;
    expect(await res.text()).toBe("ok");
    // Generous bounds for a shared 2-core machine; a starved loop would never answer at all.
    expect(timerAt).toBeLessThan(1_000);
    expect(httpMs).toBeLessThan(1_000);
    expect(rounds).toBeGreaterThan(10);
  } finally {
    await loop.stop();
    server.stop(true);
  }
});

test("consecutive failures are counted for the error pause and reset by a good round", async () => {
  const seen: number[] = [];
  let rounds = 0;
  const loop = new Loop({
    name: "flaky",
    round: async () => {
      rounds++;
      if (rounds <= 3 || rounds === 5) throw new Error("down");
      return rounds >= 6 ? 60_000 : 0;
    },
    onError: (_err, failures) => (seen.push(failures), 0),
  });
  const errors: number[] = [];
  loop.events.on("loop:error", (e) => errors.push(e.failures));
  loop.start();
  await waitFor(() => rounds >= 6, { what: "six rounds" });
  await loop.stop();
  expect(seen).toEqual([1, 2, 3, 1]);
  expect(errors).toEqual([1, 2, 3, 1]);
});
