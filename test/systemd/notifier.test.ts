import { afterEach, describe, expect, test } from "bun:test";
import { createLogger, type Logger } from "../../src/core/logger.ts";
import { takeNotifyEnv } from "../../src/systemd/notify-env.ts";
import { SystemdNotifier } from "../../src/systemd/notifier.ts";
import { NotifySocket, SdNotifyError, monotonicUsec } from "../../src/systemd/sd-notify.ts";
import { NotifyReceiver } from "../helpers/notify-socket.ts";
import { waitFor } from "../helpers/wait.ts";

const receivers: NotifyReceiver[] = [];
const notifiers: SystemdNotifier[] = [];
afterEach(() => {
  for (const r of receivers.splice(0)) r.close();
  for (const n of notifiers.splice(0)) n.stop();
});

function recordingLog(): { log: Logger; lines: Record<string, unknown>[] } {
  const lines: Record<string, unknown>[] = [];
  return { log: createLogger({ level: "debug", format: "json", write: (l) => lines.push(JSON.parse(l)) }), lines };
}

describe("takeNotifyEnv (sd_watchdog_enabled rules)", () => {
  test("nothing set: no socket, no watchdog", () => {
    expect(takeNotifyEnv({}, 100)).toEqual({ socket: undefined, problems: [] });
  });

  test("takes the variables out of the environment, so worker processes do not inherit them", () => {
    const env: Record<string, string | undefined> = { NOTIFY_SOCKET: "/run/n.sock", WATCHDOG_USEC: "30000000", WATCHDOG_PID: "100", OTHER: "x" };
    expect(takeNotifyEnv(env, 100)).toEqual({ socket: "/run/n.sock", watchdogUsec: 30_000_000, problems: [] });
    expect(env).toEqual({ OTHER: "x" });
  });

  test("WATCHDOG_PID of another process: the watchdog is not ours", () => {
    expect(takeNotifyEnv({ NOTIFY_SOCKET: "@n", WATCHDOG_USEC: "400000", WATCHDOG_PID: "101" }, 100).watchdogUsec).toBeUndefined();
  });

  test("no WATCHDOG_PID: the watchdog is ours (older systemd)", () => {
    expect(takeNotifyEnv({ NOTIFY_SOCKET: "@n", WATCHDOG_USEC: "400000" }, 100).watchdogUsec).toBe(400_000);
  });

  test("unusable values: no watchdog, and a reason to log", () => {
    for (const env of [{ WATCHDOG_USEC: "0" }, { WATCHDOG_USEC: "-5" }, { WATCHDOG_USEC: "30s" }, { WATCHDOG_USEC: "400000", WATCHDOG_PID: "abc" }]) {
      const r = takeNotifyEnv({ NOTIFY_SOCKET: "@n", ...env }, 100);
      expect(r.watchdogUsec).toBeUndefined();
      expect(r.problems.length).toBe(1);
    }
  });

  test("a watchdog without a socket is nothing", () => {
    expect(takeNotifyEnv({ WATCHDOG_USEC: "400000" }, 100)).toEqual({ socket: undefined, problems: [] });
  });
});

describe("NotifySocket (bun:ffi sendto)", () => {
  test("delivers to a path socket, from this process's pid", async () => {
    const rx = NotifyReceiver.open();
    receivers.push(rx);
    new NotifySocket(rx.path).send("READY=1\nSTATUS=hello");
    const m = await rx.waitFor((m) => m.fields.READY === "1", { timeoutMs: 5_000 });
    expect(m.fields.STATUS).toBe("hello");
    expect(m.pid).toBe(process.pid);
  });

  test("delivers to an abstract '@' name", async () => {
    const name = `@qw-test-${process.pid}-${Date.now()}`;
    const rx = NotifyReceiver.open(name);
    receivers.push(rx);
    new NotifySocket(name).send("WATCHDOG=1");
    await rx.waitFor((m) => m.fields.WATCHDOG === "1", { timeoutMs: 5_000 });
  });

  test("a socket nobody listens on is an SdNotifyError with errno ENOENT", () => {
    const send = () => new NotifySocket("/nonexistent/qworker-notify.sock").send("READY=1");
    expect(send).toThrow(SdNotifyError);
    try {
      send();
    } catch (err) {
      expect((err as SdNotifyError).errno).toBe(2);
    }
  });

  test("addresses that are not Unix sockets are refused up front", () => {
    expect(() => new NotifySocket("vsock:2:1234")).toThrow(SdNotifyError);
    expect(() => new NotifySocket("/" + "x".repeat(120))).toThrow(SdNotifyError);
  });

  test("cost of one send (socket + sendto + close)", async () => {
    const rx = NotifyReceiver.open();
    receivers.push(rx);
    const socket = new NotifySocket(rx.path);
    // net.unix.max_dgram_qlen is 10 by default: send in batches the receiver drains in between.
    const batches = 25;
    const batch = 8;
    let sendingMs = 0;
    for (let b = 1; b <= batches; b++) {
      const t0 = performance.now();
      for (let i = 0; i < batch; i++) socket.send("WATCHDOG=1");
      sendingMs += performance.now() - t0;
      await rx.waitFor(() => rx.with("WATCHDOG").length === b * batch, { timeoutMs: 10_000, what: `batch ${b}` });
    }
    const perSendUs = (sendingMs * 1000) / (batches * batch);
    console.log(`sd_notify send: ${perSendUs.toFixed(1)} µs each over ${batches * batch} sends`);
    expect(perSendUs).toBeLessThan(1_000); // generous: ~15 µs measured on an idle machine
  });

  test("monotonicUsec follows CLOCK_MONOTONIC", () => {
    const a = monotonicUsec();
    const b = monotonicUsec();
    expect(a > 0n).toBe(true);
    expect(b >= a).toBe(true);
  });
});

describe("SystemdNotifier", () => {
  test("without NOTIFY_SOCKET nothing at all happens: no sends, no timers", () => {
    const sent: string[] = [];
    const n = new SystemdNotifier({ log: recordingLog().log, env: { problems: [] }, send: (m) => sent.push(m) });
    notifiers.push(n);
    expect(n.enabled).toBe(false);
    n.ready(async () => "1 active");
    n.status("x");
    n.reloading();
    n.stopping();
    expect(sent).toEqual([]);
    expect((n as unknown as { watchdogTimer?: unknown }).watchdogTimer).toBeUndefined();
    expect((n as unknown as { statusTimer?: unknown }).statusTimer).toBeUndefined();
  });

  test("READY=1, then WATCHDOG=1 every WATCHDOG_USEC/2, STATUS from the source, STOPPING=1 once", async () => {
    const rx = NotifyReceiver.open();
    receivers.push(rx);
    let reads = 0;
    const n = new SystemdNotifier({ log: recordingLog().log, env: { socket: rx.path, watchdogUsec: 100_000, problems: [] }, statusIntervalMs: 50 });
    notifiers.push(n);
    n.ready(async () => `${++reads} active, 0 waiting`);
    await rx.waitFor((m) => m.fields.READY === "1", { timeoutMs: 5_000 });
    await rx.waitFor(() => rx.with("WATCHDOG").length >= 4, { timeoutMs: 10_000, what: "4 watchdog pings" });
    await rx.waitFor((m) => m.fields.STATUS === "3 active, 0 waiting", { timeoutMs: 10_000 });
    n.stopping("stopping: finishing 2 running jobs");
    n.stopping();
    const stop = await rx.waitFor((m) => m.fields.STOPPING === "1", { timeoutMs: 5_000 });
    expect(stop.fields.STATUS).toBe("stopping: finishing 2 running jobs");
    const pingsAfterStop = rx.with("WATCHDOG").length;
    await rx.waitFor(() => rx.with("WATCHDOG").length >= pingsAfterStop + 2, { timeoutMs: 10_000, what: "pings while draining" });
    expect(rx.with("STOPPING").length).toBe(1);
    expect(rx.messages.slice(rx.messages.indexOf(stop)).some((m) => "STATUS" in m.fields && m !== stop)).toBe(false);
  });

  test("reload: RELOADING=1 with MONOTONIC_USEC, then READY=1 again on the same timers", async () => {
    const rx = NotifyReceiver.open();
    receivers.push(rx);
    const n = new SystemdNotifier({ log: recordingLog().log, env: { socket: rx.path, watchdogUsec: 200_000, problems: [] } });
    notifiers.push(n);
    n.ready();
    n.reloading();
    n.ready();
    await rx.waitFor(() => rx.with("READY").length === 2, { timeoutMs: 5_000, what: "two READY=1" });
    const reload = rx.with("RELOADING")[0];
    expect(reload.fields.MONOTONIC_USEC).toMatch(/^\d+$/);
    expect(rx.messages.map((m) => Object.keys(m.fields)[0]).slice(0, 3)).toEqual(["READY", "RELOADING", "READY"]);
  });

  test("a send that fails never throws and is logged once, at debug", async () => {
    const { log, lines } = recordingLog();
    let attempts = 0;
    const send = () => {
      attempts++;
      throw new SdNotifyError("sendto(/run/x) failed, errno 111", 111);
    };
    const n = new SystemdNotifier({ log, env: { socket: "/run/x", watchdogUsec: 2_000, problems: [] }, send, statusIntervalMs: 5 });
    notifiers.push(n);
    n.ready(async () => {
      throw new Error("store down");
    });
    n.status("a");
    n.stopping();
    await waitFor(() => attempts >= 20, { what: "20 failed sends" });
    const failures = lines.filter((l) => String(l.msg).startsWith("systemd notification failed"));
    expect(failures.length).toBe(1);
    expect(failures[0].level).toBe("debug");
  });

  test("a newline in a status cannot add an assignment", async () => {
    const sent: string[] = [];
    const n = new SystemdNotifier({ log: recordingLog().log, env: { socket: "@x", problems: [] }, send: (m) => sent.push(m) });
    n.status("ok\nREADY=1");
    expect(sent).toEqual(["STATUS=ok READY=1"]);
  });
});
