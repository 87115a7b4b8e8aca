/**
 * `dist/qworker run` under a pretend systemd: NOTIFY_SOCKET points at a
 * datagram socket this test owns, WATCHDOG_USEC asks for pings every 200 ms.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { freePort, makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { NotifyReceiver } from "../helpers/notify-socket.ts";
import { waitFor, within } from "../helpers/wait.ts";

const WATCHDOG_USEC = "400000";
const STATUS_LINE = /^\d+ active, \d+ waiting, \d+ delayed, \d+ failed$/;

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

interface Poll {
  startedAt: number;
  outcome: number | "refused";
}

/** Asks /health back to back (2 ms apart) until stopped, keeping every answer with its start time. */
function pollHealth(port: number): { polls: Poll[]; stop(): Promise<void> } {
  const polls: Poll[] = [];
  let running = true;
  const loop = (async () => {
    while (running) {
      const startedAt = Date.now();
      const outcome = await fetch(`http://127.0.0.1:${port}/health`).then(
        (r) => r.status,
        () => "refused" as const,
      );
      polls.push({ startedAt, outcome });
      await Bun.sleep(2);
    }
  })();
  return {
    polls,
    stop: async () => {
      running = false;
      await loop;
    },
  };
}

describe("sd_notify from dist/qworker run", () => {
  test("READY=1 only once /health answers; WATCHDOG=1 every WATCHDOG_USEC/2; STATUS= with counts; SIGHUP reloads (RELOADING=1, then READY=1 again); STOPPING=1 on SIGTERM; JSON logs", async () => {
    project = makeProject("qw-notify-");
    rx = NotifyReceiver.open();
    const port = freePort();
    const health = pollHealth(port);
    // QWORKER_LOG_FORMAT "": no format given, as under systemd, where stderr is journald's pipe.
    server = startServer(["--admin-port", String(port)], { cwd: project.dir, env: { NOTIFY_SOCKET: rx.path, WATCHDOG_USEC, QWORKER_LOG_FORMAT: "" } });
    const pid = server.proc.pid;

    const ready = await rx.waitFor((m) => m.fields.READY === "1", { timeoutMs: 30_000, what: "READY=1" });
    const firstPollAfter = () => health.polls.find((p) => p.startedAt > ready.at);
    await waitFor(firstPollAfter, { timeoutMs: 10_000, intervalMs: 5, what: "a /health poll started after READY=1" });
    await health.stop();
    // READY=1 came after the admin port was bound: no poll started after it was refused, the first one got 200.
    expect(health.polls.filter((p) => p.startedAt > ready.at && p.outcome !== 200)).toEqual([]);
    expect(firstPollAfter()!.outcome).toBe(200);
    expect(health.polls.some((p) => p.outcome === "refused")).toBe(true); // the poller really was there before the server
    expect(rx.messages.indexOf(ready)).toBe(0);

    // Pings every ~200 ms from the event loop (generous bounds: a loaded 2-core machine).
    await rx.waitFor(() => rx!.with("WATCHDOG").length >= 6, { timeoutMs: 20_000, what: "6 WATCHDOG=1" });
    const pings = rx.with("WATCHDOG").map((m) => m.at);
    const gaps = pings.slice(1).map((t, i) => t - pings[i]);
    const mean = gaps.reduce((a, b) => a + b, 0) / gaps.length;
    expect(mean).toBeGreaterThan(100);
    expect(mean).toBeLessThan(1_000);
    expect(pings[0]).toBeGreaterThanOrEqual(ready.at);

    // STATUS= with the store's counts, refreshed as they change (reads at most every 5 s).
    const first = await rx.waitFor((m) => "STATUS" in m.fields, { timeoutMs: 10_000, what: "STATUS=" });
    expect(first.fields.STATUS).toMatch(STATUS_LINE);
    for (let i = 0; i < 3; i++) expect((await qw(["enqueue", "noop", "--in", "3600"], { cwd: project.dir })).code).toBe(0);
    const counted = await rx.waitFor((m) => /3 delayed/.test(m.fields.STATUS ?? ""), { timeoutMs: 20_000, what: "STATUS with 3 delayed" });
    expect(counted.fields.STATUS).toMatch(STATUS_LINE);

    // ExecReload= sends SIGHUP: the job modules reload in place, with RELOADING=1 before and READY=1 after.
    const pingsBefore = rx.with("WATCHDOG").length;
    server.kill("SIGHUP");
    await server.waitForLine(/SIGHUP received/);
    const reloading = await rx.waitFor((m) => m.fields.RELOADING === "1", { timeoutMs: 20_000, what: "RELOADING=1" });
    expect(reloading.fields.MONOTONIC_USEC).toMatch(/^\d+$/);
    await rx.waitFor((m) => m.fields.READY === "1" && rx!.messages.indexOf(m) > rx!.messages.indexOf(reloading), { timeoutMs: 20_000, what: "READY=1 after the reload" });
    await server.waitForLine(/reloaded job modules/);
    await rx.waitFor(() => rx!.with("WATCHDOG").length >= pingsBefore + 2, { timeoutMs: 20_000, what: "pings after SIGHUP" });

    server.kill("SIGTERM");
    const stopping = await rx.waitFor((m) => m.fields.STOPPING === "1", { timeoutMs: 10_000, what: "STOPPING=1" });
    expect(await within(server.exited, 30_000, "exit after SIGTERM")).toBe(0);
    expect(rx.with("READY").length).toBe(2); // at start, and after the reload
    expect(rx.messages.slice(rx.messages.indexOf(stopping) + 1).filter((m) => "STATUS" in m.fields || "READY" in m.fields)).toEqual([]);

    // Every datagram came from the main process (NotifyAccess=main), not a helper process.
    expect(new Set(rx.messages.map((m) => m.pid))).toEqual(new Set([pid]));
    // Not a TTY and no --log-format: JSON lines for journald.
    const lines = server.log().split("\n").filter(Boolean);
    for (const line of lines) expect(() => JSON.parse(line)).not.toThrow();
    expect(lines.map((l) => JSON.parse(l).msg)).toContain("qworker ready");
  });

  test("--mode process: only the main process talks to systemd; worker processes do not inherit NOTIFY_SOCKET", async () => {
    project = makeProject("qw-notify-proc-");
    rx = NotifyReceiver.open();
    server = startServer(["--admin-port", "0", "--mode", "process", "--processes", "2"], { cwd: project.dir, env: { NOTIFY_SOCKET: rx.path, WATCHDOG_USEC } });
    await rx.waitFor((m) => m.fields.READY === "1", { timeoutMs: 30_000, what: "READY=1" });
    // Both worker processes up (each logs its own "qworker ready"), and pings after that.
    await waitFor(() => (server!.log().match(/qworker ready/g)?.length ?? 0) >= 3, { timeoutMs: 30_000, what: "two worker processes" });
    const from = rx.messages.length;
    await rx.waitFor(() => rx!.with("WATCHDOG").filter((m) => rx!.messages.indexOf(m) >= from).length >= 3, { timeoutMs: 20_000, what: "pings" });
    server.kill("SIGTERM");
    await rx.waitFor((m) => m.fields.STOPPING === "1", { timeoutMs: 10_000, what: "STOPPING=1" });
    expect(await within(server.exited, 30_000, "exit after SIGTERM")).toBe(0);
    expect(new Set(rx.messages.map((m) => m.pid))).toEqual(new Set([server.proc.pid]));
    expect(rx.with("READY").length).toBe(1);
  });

  test("no NOTIFY_SOCKET: the notifier stays off, WATCHDOG_USEC alone does nothing", async () => {
    project = makeProject("qw-notify-none-");
    server = startServer(["--admin-port", "0", "--burst"], { cwd: project.dir, env: { WATCHDOG_USEC, QWORKER_LOG_LEVEL: "debug" } });
    expect(await within(server.exited, 30_000, "burst run")).toBe(0);
    expect(server.log()).toContain("qworker ready");
    expect(server.log()).not.toContain("systemd notifications on");
  });
});
