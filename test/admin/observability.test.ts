/**
 * The admin routes the dashboard and Prometheus use, over a real server
 * and store: job types as JSON Schema, retry-failed for a queue, the live
 * event stream, /metrics behind the token (or public when configured), the
 * store read shared by everything that polls, read-only mode, and the
 * page's static assets.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { ReadOnlyError } from "../../src/core/errors.ts";
import { HttpOperations } from "../../src/ops/http.ts";
import { routeTable } from "../../src/admin/routes.ts";
import type { FailParams } from "../../src/store/store.ts";
import { parsePromText, sample } from "../helpers/prom-text.ts";
import { rawRequest } from "../helpers/raw-http.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";
import { startHarness, type Harness } from "./harness.ts";

const TOKEN = "observe-token-0123456789";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

/** Enqueues `n` noop jobs on `queue` and fails each for good; returns their ids. */
async function failed(harness: Harness, queue: string, n: number): Promise<string[]> {
  const now = harness.clock.now();
  const made = await harness.store.enqueue({ jobs: Array.from({ length: n }, () => ({ name: "noop", queue, data: {}, maxAttempts: 1 })), now });
  const got = await harness.store.reserve({ queues: [queue], workerId: "w", max: n, leaseMs: 60_000, now });
  for (const j of got) {
    const p: FailParams = { id: j.id, token: j.lease.token, workerId: "w", error: { attempt: 1, message: "boom" }, now: harness.clock.now() };
    await harness.store.fail(p);
    harness.clock.advance(1);
  }
  return made.map((r) => r.id);
}

/** Reads SSE `status` events from GET /api/events until `until` says stop; returns them. */
async function readEvents(url: string, until: (events: any[]) => boolean, headers: Record<string, string> = {}): Promise<any[]> {
  const ctl = new AbortController();
  const res = await fetch(url + "/api/events", { headers, signal: ctl.signal });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toContain("text/event-stream");
  const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
  const events: any[] = [];
  let buf = "";
  try {
    while (!until(events)) {
      const { value, done } = await within(reader.read(), 10_000, "the next live event");
      if (done) break;
      buf += value;
      let end: number;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = /^data: (.*)$/m.exec(block);
        if (/^event: status$/m.test(block) && data) events.push(JSON.parse(data[1]));
      }
    }
  } finally {
    ctl.abort();
  }
  return events;
}

describe("GET /api/job-types", () => {
  test("lists every loaded job with its defaults and its payload schema as JSON Schema", async () => {
    h = await startHarness();
    const res = await h.call("GET", "/api/job-types");
    expect(res.status).toBe(200);
    const byName = Object.fromEntries(res.body.jobs.map((j: any) => [j.name, j]));
    expect(Object.keys(byName).sort()).toEqual(["nightly", "noop", "report", "send-email"]);
    expect(byName["send-email"]).toMatchObject({ queue: "default", attempts: 3, unique: false });
    expect(byName["send-email"].schema).toMatchObject({
      type: "object",
      properties: { to: { type: "string", format: "email" }, subject: { type: "string" }, tags: { type: "array", items: { type: "string" } } },
      required: ["to", "subject"],
    });
    expect(byName.report).toMatchObject({ queue: "low", attempts: 5, unique: true });
    expect(byName.report.schema.properties.month.pattern).toBe("^\\d{4}-\\d{2}$");
    expect(byName.nightly.cron).toBe("0 3 * * *");
    expect(byName.noop.schema).toBeUndefined();
  });
});

describe("POST /api/queues/:queue/retry-failed", () => {
  test("sends every failed job of that queue back to waiting, and no other", async () => {
    h = await startHarness();
    const def = await failed(h, "default", 3);
    const low = await failed(h, "low", 1);
    const res = await h.call("POST", "/api/queues/default/retry-failed");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ queue: "default", retried: 3, skipped: 0 });
    for (const id of def) expect((await h.store.getJob(id))!).toMatchObject({ state: "waiting", attemptsMade: 0 });
    expect((await h.store.getJob(low[0]))!.state).toBe("failed");
    expect((await h.call("POST", "/api/queues/default/retry-failed")).body).toEqual({ queue: "default", retried: 0, skipped: 0 });
    const unknown = await h.call("POST", "/api/queues/nope/retry-failed");
    expect(unknown.status).toBe(404);
  });

  test("goes through more failed jobs than one store batch (1,000)", async () => {
    h = await startHarness();
    const ids = await failed(h, "default", 2_500);
    expect((await h.call("POST", "/api/queues/default/retry-failed")).body).toEqual({ queue: "default", retried: 2_500, skipped: 0 });
    expect((await h.store.counts(["default"]))[0]).toMatchObject({ waiting: 2_500, failed: 0 });
    expect((await h.store.getJob(ids[0]))!.state).toBe("waiting");
  });
});

describe("GET /api/events", () => {
  test("streams the status at once, then again when something changes (a job enqueued straight into the store)", async () => {
    h = await startHarness({ token: TOKEN, feedIntervalMs: 50 });
    const store = h.store;
    const now = h.clock.now();
    const events = await readEvents(
      h.url,
      (ev) => {
        if (ev.length === 1) void store.enqueue({ jobs: [{ name: "noop", queue: "critical", data: {}, maxAttempts: 1 }], now });
        return ev.some((e) => e.queues.find((q: any) => q.queue === "critical")?.waiting === 1);
      },
      { authorization: `Bearer ${TOKEN}` },
    );
    expect(events[0].queues.find((q: any) => q.queue === "critical").waiting).toBe(0);
    expect(events[0]).toHaveProperty("throughput");
    expect(events.at(-1).queues.find((q: any) => q.queue === "critical").waiting).toBe(1);
  });

  test("needs the token like every /api route", async () => {
    h = await startHarness({ token: TOKEN });
    const res = await fetchWithin(h.url + "/api/events");
    expect(res.status).toBe(401);
  });

  test("ten open streams and repeated scrapes share one store read per interval", async () => {
    h = await startHarness({ feedIntervalMs: 100 });
    let reads = 0;
    const counts = h.store.counts.bind(h.store);
    h.store.counts = async (q: string[]) => {
      reads++;
      return counts(q);
    };
    const started = performance.now();
    const streams = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const ctl = new AbortController();
        const res = await fetch(h!.url + "/api/events", { signal: ctl.signal });
        const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!text.includes("event: status")) text += (await within(reader.read(), 10_000, "the first event")).value ?? "";
        return ctl;
      }),
    );
    // All ten stay open for a second (ten intervals) while a scraper comes by five times.
    for (let i = 0; i < 5; i++) {
      expect((await fetchWithin(h.url + "/metrics")).status).toBe(200);
      await Bun.sleep(200);
    }
    const intervals = (performance.now() - started) / 100;
    for (const s of streams) s.abort();
    // Generous: at most one read per 100 ms interval (plus the first two), never one per stream or scrape.
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(Math.ceil(intervals) + 2);
  });

  test("open streams do not hold up the server's stop", async () => {
    h = await startHarness();
    const ctl = new AbortController();
    const res = await fetch(h.url + "/api/events", { signal: ctl.signal });
    const reader = res.body!.getReader();
    await reader.read();
    const t0 = performance.now();
    await within(h.server.stop(), 5_000, "stop with an open stream");
    expect(performance.now() - t0).toBeLessThan(1_500);
    ctl.abort();
  });
});

describe("GET /metrics", () => {
  test("is Prometheus text behind the token; the store gauges are there", async () => {
    h = await startHarness({ token: TOKEN });
    await h.store.enqueue({ jobs: [{ name: "noop", queue: "low", data: {}, maxAttempts: 1 }], now: h.clock.now() });
    expect((await fetchWithin(h.url + "/metrics")).status).toBe(401);
    const res = await fetchWithin(h.url + "/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
    const m = parsePromText(await res.text());
    expect(sample(m, "qworker_jobs", { queue: "low", state: "waiting" })).toBe(1);
    expect(sample(m, "qworker_queue_paused", { queue: "low" })).toBe(0);
    expect(sample(m, "qworker_store_up", {})).toBe(1);
    expect(sample(m, "qworker_scheduler_has_leader", {})).toBe(0);
  });

  test("with publicMetrics it needs no token, and every other route still does", async () => {
    h = await startHarness({ token: TOKEN, publicMetrics: true });
    expect((await fetchWithin(h.url + "/metrics")).status).toBe(200);
    expect((await fetchWithin(h.url + "/api/queues")).status).toBe(401);
    expect((await fetchWithin(h.url + "/api/events")).status).toBe(401);
  });

  test("a store that fails the read still gets the counters out, with qworker_store_up 0", async () => {
    h = await startHarness();
    h.store.counts = async () => {
      throw new Error("disk on fire");
    };
    const res = await fetchWithin(h.url + "/metrics");
    expect(res.status).toBe(200);
    expect(sample(parsePromText(await res.text()), "qworker_store_up", {})).toBe(0);
  });
});

describe("admin.readOnly", () => {
  test("every route that changes state answers 403 even with the token; reads still work", async () => {
    h = await startHarness({ token: TOKEN, readOnly: true });
    const [{ id }] = await h.store.enqueue({ jobs: [{ name: "noop", queue: "critical", data: {}, maxAttempts: 1 }], now: h.clock.now() });
    const writes = routeTable().filter((r) => r.method !== "GET");
    expect(writes.length).toBeGreaterThanOrEqual(9);
    for (const r of writes) {
      const path = r.pattern.replace(":id", id).replace(":queue", "default").replace(":name", "nightly");
      const res = await h.call(r.method, path, r.pattern === "/api/jobs" ? { body: { name: "noop" } } : {});
      expect({ route: `${r.method} ${r.pattern}`, status: res.status, code: res.body.error?.code }).toEqual({ route: `${r.method} ${r.pattern}`, status: 403, code: "read_only" });
    }
    expect(await h.jobCount()).toBe(1);
    expect((await h.store.getJob(id))!.state).toBe("waiting");
    expect((await h.call("GET", "/api/queues")).status).toBe(200);
    expect((await h.call("GET", `/api/jobs/${id}`)).status).toBe(200);
    const page = await (await fetchWithin(h.url + "/")).text();
    expect(page).toContain('<meta name="qworker-read-only" content="true">');
  });

  test("over HTTP (the CLI, the client) a read-only refusal is a ReadOnlyError with exit code 2", async () => {
    h = await startHarness({ token: TOKEN, readOnly: true });
    const ops = new HttpOperations({ url: h.url, token: TOKEN, requestTimeoutMs: 5_000 });
    const err = await ops.pauseQueue("default").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ReadOnlyError);
    expect((err as ReadOnlyError).exitCode).toBe(2);
    expect((err as Error).message).toContain("read-only");
  });
});

describe("the dashboard's assets", () => {
  test("the page and its two assets are public, typed, hold no job data, and the script never uses innerHTML", async () => {
    h = await startHarness({ token: TOKEN });
    await h.store.enqueue({ jobs: [{ name: "noop", queue: "critical", data: { secret: "payload-text-xyz" }, maxAttempts: 1 }], now: h.clock.now() });
    const page = await fetchWithin(h.url + "/");
    expect(page.status).toBe(200);
    const csp = page.headers.get("content-security-policy")!;
    for (const part of ["default-src 'none'", "script-src 'self'", "style-src 'self'", "connect-src 'self'", "frame-ancestors 'none'"]) expect(csp).toContain(part);
    expect(csp).not.toContain("unsafe");
    expect(page.headers.get("x-content-type-options")).toBe("nosniff");
    const js = await fetchWithin(h.url + "/ui/app.js", {}, 30_000);
    expect(js.status).toBe(200);
    expect(js.headers.get("content-type")).toBe("text/javascript; charset=utf-8");
    const script = await js.text();
    expect(script.length).toBeGreaterThan(10_000);
    expect(script).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write|eval\(/);
    const css = await fetchWithin(h.url + "/ui/app.css");
    expect(css.headers.get("content-type")).toBe("text/css; charset=utf-8");
    for (const body of [await page.text(), script, await css.text()]) expect(body).not.toContain("payload-text-xyz");
    // Only these three paths are public: a neighbour under /ui is not.
    expect((await rawRequest(h.server.port, { target: "/ui/other.js", headers: [["host", `127.0.0.1:${h.server.port}`]] })).status).toBe(401);
  });
});

test("the live stream's status carries each worker's mode but not its raw per-minute counts", async () => {
  h = await startHarness();
  const now = h.clock.now();
  const info = { id: "w1", host: "h", pid: 1, role: "all", queues: ["default"], concurrency: 2, jobs: ["noop"], startedAt: now, heartbeatAt: now, running: [], mode: "async", throughput: { minute: now - (now % 60_000), queues: { default: [[3], [1]] as [number[], number[]] } } };
  await h.store.workerHeartbeat({ info, ttlMs: 60_000, now });
  const [status] = await readEvents(h.url, (ev) => ev.length >= 1);
  expect(status.workers[0].mode).toBe("async");
  expect(status.workers[0]).not.toHaveProperty("throughput");
  const q = status.throughput.queues.find((t: any) => t.queue === "default");
  expect(q.completed.at(-1)).toBe(3);
  expect(q.failed.at(-1)).toBe(1);
});

test("GET /api/status is fresh on a fast store, and concurrent callers share one read", async () => {
  h = await startHarness();
  expect((await h.call("GET", "/api/status")).body.queues.find((q: any) => q.queue === "low").waiting).toBe(0);
  await h.store.enqueue({ jobs: [{ name: "noop", queue: "low", data: {}, maxAttempts: 1 }], now: h.clock.now() });
  expect((await h.call("GET", "/api/status")).body.queues.find((q: any) => q.queue === "low").waiting).toBe(1);

  let reads = 0;
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  const counts = h.store.counts.bind(h.store);
  h.store.counts = async (q: string[]) => {
    reads++;
    await gate;
    return counts(q);
  };
  const calls = Promise.all(Array.from({ length: 8 }, () => h!.call("GET", "/api/status")));
  await waitFor(() => reads > 0, { timeoutMs: 5_000, intervalMs: 5, what: "the first status read" });
  release();
  expect((await calls).every((r) => r.status === 200)).toBe(true);
  expect(reads).toBe(1);
});
