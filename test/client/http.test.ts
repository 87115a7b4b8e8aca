import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import {
  ClientClosedError,
  InvalidStateError,
  NotFoundError,
  QworkerClient,
  RemoteError,
  StoreUnavailableError,
  UnauthorizedError,
  UnknownJobError,
  UsageError,
  ValidationError,
  WaitTimeoutError,
} from "../../src/client.ts";
import type { ReservedJob } from "../../src/store/store.ts";
import { startHarness, type Harness } from "../admin/harness.ts";
import { waitFor, within } from "../helpers/wait.ts";

type Jobs = {
  "send-email": { to: string; subject: string; tags?: string[] };
  report: { month: string };
  noop: undefined;
};

let h: Harness;
let client: QworkerClient<Jobs>;
beforeEach(async () => {
  h = await startHarness();
  client = new QworkerClient<Jobs>({ url: h.url });
});
afterEach(async () => {
  await client.close();
  await h.close();
});

/** Plays a worker: reserves the job so the test can move it along. */
async function reserve(): Promise<ReservedJob> {
  const [job] = await h.store.reserve({ queues: ["critical", "default", "low"], workerId: "w1", max: 1, leaseMs: 30_000, now: h.clock.now() });
  return job;
}

describe("enqueue", () => {
  test("stores the job and returns its id", async () => {
    const res = await client.enqueue("send-email", { to: "a@b.co", subject: "hi" });
    expect(res).toEqual({ id: expect.any(String), deduplicated: false });
    expect(await h.store.getJob(res.id)).toMatchObject({ name: "send-email", state: "waiting", data: { to: "a@b.co", subject: "hi" } });
  });

  test("a job whose payload type allows undefined needs no data", async () => {
    const { id } = await client.enqueue("noop");
    expect(await h.store.getJob(id)).toMatchObject({ name: "noop", queue: "critical", data: {} });
  });

  test("options reach the store: in, at (Date), queue, priority, attempts, key", async () => {
    const now = h.clock.now();
    const a = await client.enqueue("send-email", { to: "a@b.co", subject: "x" }, { in: 90, queue: "low", priority: 3, attempts: 9 });
    expect(await h.store.getJob(a.id)).toMatchObject({ state: "delayed", runAt: now + 90_000, queue: "low", priority: 3, maxAttempts: 9 });
    const b = await client.enqueue("send-email", { to: "a@b.co", subject: "x" }, { at: new Date(now + 60_000), key: "once" });
    expect(await h.store.getJob(b.id)).toMatchObject({ state: "delayed", runAt: now + 60_000, uniqueKey: "once" });
    const again = await client.enqueue("send-email", { to: "c@d.co", subject: "y" }, { key: "once" });
    expect(again).toEqual({ id: b.id, deduplicated: true });
  });

  test("a schema failure rejects with ValidationError carrying the zod path; nothing stored", async () => {
    const err = await client.enqueue("send-email", { to: "nope", subject: "x", tags: ["a", 5 as unknown as string] }).catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.code).toBe("validation");
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("to: ");
    expect(err.message).toContain("tags.1: ");
    expect(await h.jobCount()).toBe(0);
  });

  test("an unknown job rejects with UnknownJobError and the server's message", async () => {
    const untyped = new QworkerClient({ url: h.url });
    const err = await untyped.enqueue("send-emial", {}).catch((e) => e);
    expect(err).toBeInstanceOf(UnknownJobError);
    expect(err.message).toBe('unknown job "send-emial"; known jobs: nightly, noop, report, send-email');
    await untyped.close();
  });

  test("bad options reject with UsageError naming the field", async () => {
    const err = await client.enqueue("report", { month: "2026-01" }, { in: -5 }).catch((e) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toContain("in: must be 0 or more seconds");
    const both = await client.enqueue("report", { month: "2026-01" }, { in: 5, at: "2030-01-01T00:00:00Z" }).catch((e) => e);
    expect(both).toBeInstanceOf(UsageError);
    expect(both.message).toContain("not both");
    expect(await h.jobCount()).toBe(0);
  });

  test("an invalid Date is refused before any request", async () => {
    let requests = 0;
    const off = h.server.events.on("request", () => requests++);
    const err = await client.enqueue("report", { month: "2026-01" }, { at: new Date("garbage") }).catch((e) => e);
    off();
    expect(err).toBeInstanceOf(UsageError);
    expect(requests).toBe(0);
  });
});

describe("enqueueMany", () => {
  test("returns one result per item, in order", async () => {
    const res = await client.enqueueMany([
      { name: "send-email", data: { to: "a@b.co", subject: "1" } },
      { name: "report", data: { month: "2026-02" }, priority: 1 },
      { name: "noop", in: 10 },
    ]);
    expect(res).toHaveLength(3);
    const jobs = await Promise.all(res.map((r) => h.store.getJob(r.id)));
    expect(jobs.map((j) => [j!.name, j!.state])).toEqual([
      ["send-email", "waiting"],
      ["report", "waiting"],
      ["noop", "delayed"],
    ]);
  });

  test("one bad item stores none and names its index", async () => {
    const err = await client
      .enqueueMany([
        { name: "report", data: { month: "2026-02" } },
        { name: "report", data: { month: "Feb" } },
      ])
      .catch((e) => e);
    expect(err).toBeInstanceOf(ValidationError);
    expect(err.message).toStartWith("item 1: ");
    expect(await h.jobCount()).toBe(0);
  });
});

describe("getJob, cancel, retry", () => {
  test("getJob returns the record; an unknown id is NotFoundError", async () => {
    const { id } = await client.enqueue("report", { month: "2026-03" });
    expect(await client.getJob(id)).toMatchObject({ id, name: "report", state: "waiting" });
    const err = await client.getJob("nope").catch((e) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect(err.message).toBe('no job with id "nope"');
  });

  test("cancel then retry", async () => {
    const { id } = await client.enqueue("report", { month: "2026-03" });
    expect((await client.cancel(id)).state).toBe("cancelled");
    expect((await client.retry(id)).state).toBe("waiting");
    const err = await client.retry(id).catch((e) => e);
    expect(err).toBeInstanceOf(InvalidStateError);
    expect(err.status).toBe(409);
  });

  test("cron ids (with colons, sent percent-encoded) round-trip", async () => {
    await h.store.enqueue({ jobs: [{ id: "cron:nightly.x:1", name: "noop", queue: "critical", data: {}, maxAttempts: 1 }], now: h.clock.now() });
    expect((await client.getJob("cron:nightly.x:1")).id).toBe("cron:nightly.x:1");
  });
});

describe("waitFor", () => {
  test("resolves with the completed record and reports each progress change once", async () => {
    const { id } = await client.enqueue("report", { month: "2026-04" });
    const seen: string[] = [];
    const waiting = client.waitFor(id, { pollMs: 5, timeoutMs: 10_000, onProgress: (p) => seen.push(`${p.pct}:${p.msg ?? ""}`) });

    const job = await reserve();
    await h.store.progress({ id, token: job.lease.token, progress: { pct: 40, msg: "rendering" } });
    await waitFor(() => seen.length === 1, { intervalMs: 2, what: "the first progress report" });
    await h.store.progress({ id, token: job.lease.token, progress: { pct: 90, msg: "uploading" } });
    await waitFor(() => seen.length === 2, { intervalMs: 2, what: "the second progress report" });
    await h.store.complete({ workerId: "w1", jobs: [{ id, token: job.lease.token, result: { rows: 12 } }], now: h.clock.now() });

    const done = await within(waiting, 15_000, "waitFor of the completed job");
    expect(done).toMatchObject({ id, state: "completed", result: { rows: 12 } });
    expect(seen).toEqual(["40:rendering", "90:uploading"]);
  });

  test("a failed job resolves (does not throw) so the caller decides", async () => {
    const { id } = await client.enqueue("report", { month: "2026-04" });
    const job = await reserve();
    await h.store.fail({ id, token: job.lease.token, workerId: "w1", error: { attempt: 1, message: "upstream 500" }, now: h.clock.now() });
    const done = await within(client.waitFor(id, { pollMs: 5, timeoutMs: 5_000 }), 10_000, "waitFor of the failed job");
    expect(done.state).toBe("failed");
    expect(done.errors[0].message).toBe("upstream 500");
  });

  test("a cancelled job resolves", async () => {
    const { id } = await client.enqueue("report", { month: "2026-04" });
    const waiting = client.waitFor(id, { pollMs: 5, timeoutMs: 5_000 });
    await client.cancel(id);
    expect((await within(waiting, 10_000, "waitFor of the cancelled job")).state).toBe("cancelled");
  });

  test("rejects with WaitTimeoutError carrying the last record", async () => {
    const { id } = await client.enqueue("report", { month: "2026-04" });
    const err = await within(client.waitFor(id, { pollMs: 5, timeoutMs: 60 }).catch((e) => e), 5_000, "waitFor with timeoutMs 60");
    expect(err).toBeInstanceOf(WaitTimeoutError);
    expect(err.job.state).toBe("waiting");
    expect(err.message).toContain("still waiting after 60 ms");
  });

  test("an unknown id rejects with NotFoundError", async () => {
    expect(await within(client.waitFor("nope").catch((e) => e), 5_000, "waitFor of an unknown id")).toBeInstanceOf(NotFoundError);
  });

  test("an abort signal stops waiting", async () => {
    const { id } = await client.enqueue("report", { month: "2026-04" });
    const ctl = new AbortController();
    const waiting = client.waitFor(id, { pollMs: 5, signal: ctl.signal });
    ctl.abort(new Error("user left"));
    expect((await within(waiting.catch((e) => e), 5_000, "the aborted waitFor")).message).toBe("user left");
  });

  test("close() ends a pending waitFor with ClientClosedError; later calls reject too", async () => {
    const { id } = await client.enqueue("report", { month: "2026-04" });
    const polled = h.server.events.once("request", (r) => r.method === "GET");
    const waiting = client.waitFor(id, { pollMs: 1_000 });
    await within(polled, 5_000, "the first poll"); // it is now in its pause between polls
    await client.close();
    await client.close();
    expect(await within(waiting.catch((e) => e), 5_000, "waitFor after close()")).toBeInstanceOf(ClientClosedError);
    expect(await client.getJob(id).catch((e) => e)).toBeInstanceOf(ClientClosedError);
    expect(await client.enqueue("noop").catch((e) => e)).toBeInstanceOf(ClientClosedError);
  });
});

describe("connection and auth", () => {
  test("a server with a token: the right one works, none or a wrong one is UnauthorizedError", async () => {
    const secured = await startHarness({ token: "client-test-token-123456" });
    const good = new QworkerClient({ url: secured.url, token: "client-test-token-123456" });
    const none = new QworkerClient({ url: secured.url });
    const wrong = new QworkerClient({ url: secured.url + "/", token: "nope" });
    try {
      expect((await good.enqueue("noop")).deduplicated).toBe(false);
      expect(await none.enqueue("noop").catch((e) => e)).toBeInstanceOf(UnauthorizedError);
      expect(await wrong.getJob("x").catch((e) => e)).toBeInstanceOf(UnauthorizedError);
      expect(await secured.jobCount()).toBe(1);
    } finally {
      await Promise.all([good.close(), none.close(), wrong.close()]);
      await secured.close();
    }
  });

  test("an unreachable server is StoreUnavailableError naming the url", async () => {
    const port = h.server.port;
    await h.server.stop();
    const err = await client.getJob("x").catch((e) => e);
    expect(err).toBeInstanceOf(StoreUnavailableError);
    expect(err.exitCode).toBe(3);
    expect(err.message).toContain(`http://127.0.0.1:${port}`);
  });

  test("a server that does not answer in time is StoreUnavailableError", async () => {
    const silent = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Promise<Response>(() => {}) });
    const slow = new QworkerClient({ url: silent.url.href, requestTimeoutMs: 50 });
    try {
      const err = await within(slow.getJob("x").catch((e) => e), 5_000, "a request with requestTimeoutMs 50");
      expect(err).toBeInstanceOf(StoreUnavailableError);
      expect(err.message).toContain("within 50 ms");
    } finally {
      await slow.close();
      await silent.stop(true);
    }
  });

  test("a non-qworker reply (a proxy's HTML 502) becomes RemoteError with the status", async () => {
    const proxy = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response("<h1>Bad Gateway</h1>", { status: 502 }) });
    const viaProxy = new QworkerClient({ url: proxy.url.href });
    try {
      const err = await viaProxy.getJob("x").catch((e) => e);
      expect(err).toBeInstanceOf(RemoteError);
      expect(err.status).toBe(502);
      expect(err.remoteCode).toBe("http_502");
      expect(err.message).toContain("Bad Gateway");
    } finally {
      await viaProxy.close();
      await proxy.stop(true);
    }
  });

  test("options are checked", () => {
    expect(() => new QworkerClient({ url: "ftp://x" })).toThrow(/http/);
    expect(() => new QworkerClient({} as never)).toThrow(/url/);
  });
});
