/**
 * The watchdog pings come from the event loop itself: a job that blocks the
 * loop (a synchronous 3 s spin) silences them, which is what lets systemd
 * restart a wedged qworker after WatchdogSec; when the loop is free again
 * the pings resume.
 */

import { afterEach, expect, test } from "bun:test";
import { cpSync, existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, ROOT, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { NotifyReceiver } from "../helpers/notify-socket.ts";
import { waitFor, within } from "../helpers/wait.ts";

const INTERVAL_MS = 200; // WATCHDOG_USEC / 2
const SPIN_MS = 3_000;

let project: Project | undefined;
let rx: NotifyReceiver | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  rx?.close();
  project?.cleanup();
  server = rx = project = undefined;
});

test("a job that blocks the event loop stops the WATCHDOG=1 pings until it ends", async () => {
  project = makeProject("qw-watchdog-");
  cpSync(join(ROOT, "test/fixtures/systemd-jobs/spin.ts"), join(project.jobs, "spin.ts"));
  rx = NotifyReceiver.open();
  server = startServer(["--admin-port", "0"], { cwd: project.dir, env: { NOTIFY_SOCKET: rx.path, WATCHDOG_USEC: String(INTERVAL_MS * 2_000) } });
  await rx.waitFor((m) => m.fields.READY === "1", { timeoutMs: 30_000, what: "READY=1" });
  await rx.waitFor(() => rx!.with("WATCHDOG").length >= 3, { timeoutMs: 20_000, what: "pings before the spin" });

  const markers = join(project.out, "spin.log");
  const enqueued = await qw(["enqueue", "spin", "--data", JSON.stringify({ ms: SPIN_MS, out: markers })], { cwd: project.dir });
  expect(enqueued.code).toBe(0);
  const read = () => (existsSync(markers) ? Object.fromEntries(readFileSync(markers, "utf8").trim().split("\n").map((l) => l.split(" "))) : {});
  await waitFor(() => read().end, { timeoutMs: 60_000, what: "the spin to end" });
  const start = Number(read().start);
  const end = Number(read().end);
  expect(end - start).toBeGreaterThanOrEqual(SPIN_MS);

  // Pings resume once the loop is free.
  const after = () => rx!.with("WATCHDOG").filter((m) => m.at > end);
  await rx.waitFor(() => after().length >= 3, { timeoutMs: 20_000, what: "pings after the spin" });

  const pings = rx.with("WATCHDOG").map((m) => m.at);
  // None while the loop spun (a ping sent just before it may be read a little later).
  expect(pings.filter((t) => t > start + 150 && t < end)).toEqual([]);
  const gaps = pings.slice(1).map((t, i) => t - pings[i]);
  const longest = Math.max(...gaps);
  expect(longest).toBeGreaterThan(10 * INTERVAL_MS); // well past the "> 2 intervals" systemd would act on
  expect(longest).toBeGreaterThanOrEqual(SPIN_MS - 200);
  // Apart from the spin, the rhythm holds (generous: other tests share the 2 cores).
  const others = gaps.filter((g) => g !== longest);
  expect(others.reduce((a, b) => a + b, 0) / others.length).toBeLessThan(1_000);

  server.kill("SIGTERM");
  expect(await within(server.exited, 30_000, "exit after SIGTERM")).toBe(0);
});
