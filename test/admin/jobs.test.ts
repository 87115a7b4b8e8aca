import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { fetchWithin } from "../helpers/wait.ts";
import { startHarness, type Harness } from "./harness.ts";

let h: Harness;
beforeEach(async () => {
  h = await startHarness({ maxBodyBytes: 64 * 1024 });
});
afterEach(async () => {
  await h.close();
});

const email = { name: "send-email", data: { to: "a@b.co", subject: "hi" } };

/** Each bad request must answer `status` with `code`, a message containing `text`, and store nothing. */
async function expectRefused(res: { status: number; body: any }, status: number, code: string, text: string | RegExp) {
  expect(res.status).toBe(status);
  expect(res.body.error.code).toBe(code);
  if (typeof text === "string") expect(res.body.error.message).toContain(text);
  else expect(res.body.error.message).toMatch(text);
  expect(await h.jobCount()).toBe(0);
}

describe("POST /api/jobs", () => {
  test("one object → 201 {id, deduplicated} and a Location", async () => {
    const res = await h.call("POST", "/api/jobs", { body: email });
    expect(res.status).toBe(201);
    expect(res.body).toEqual({ id: expect.any(String), deduplicated: false });
    expect(res.headers.get("location")).toBe(`/api/jobs/${res.body.id}`);
    const job = await h.store.getJob(res.body.id);
    expect(job).toMatchObject({ name: "send-email", queue: "default", state: "waiting", data: email.data, maxAttempts: 3 });
  });

  test("an array → 201 [{id, deduplicated}] in order", async () => {
    const res = await h.call("POST", "/api/jobs", { body: [email, { name: "noop" }, { name: "report", data: { month: "2026-05" } }] });
    expect(res.status).toBe(201);
    expect(res.body).toHaveLength(3);
    const names = await Promise.all(res.body.map(async (r: { id: string }) => (await h.store.getJob(r.id))!.name));
    expect(names).toEqual(["send-email", "noop", "report"]);
  });

  test("options: in, at, queue, priority, attempts, key", async () => {
    const now = h.clock.now();
    const a = await h.call("POST", "/api/jobs", { body: { ...email, in: 300, priority: 2, attempts: 7, queue: "critical" } });
    expect(a.status).toBe(201);
    expect(await h.store.getJob(a.body.id)).toMatchObject({ state: "delayed", runAt: now + 300_000, priority: 2, maxAttempts: 7, queue: "critical" });
    const at = new Date(now + 3_600_000).toISOString();
    const b = await h.call("POST", "/api/jobs", { body: { ...email, at, key: "k1" } });
    expect(await h.store.getJob(b.body.id)).toMatchObject({ state: "delayed", runAt: now + 3_600_000, uniqueKey: "k1" });
  });

  test("job defaults (queue, attempts) and unique keys → deduplicated: true", async () => {
    const first = await h.call("POST", "/api/jobs", { body: { name: "report", data: { month: "2026-05" } } });
    expect(await h.store.getJob(first.body.id)).toMatchObject({ queue: "low", maxAttempts: 5, uniqueKey: "2026-05" });
    const again = await h.call("POST", "/api/jobs", { body: { name: "report", data: { month: "2026-05" } } });
    expect(again.status).toBe(201);
    expect(again.body).toEqual({ id: first.body.id, deduplicated: true });
  });

  test("body that is not JSON → 400", async () => {
    const res = await h.call("POST", "/api/jobs", { raw: "{name: send-email", headers: { "content-type": "application/json" } });
    await expectRefused(res, 400, "usage", "body is not valid JSON: ");
  });

  test("empty body → 400", async () => {
    await expectRefused(await h.call("POST", "/api/jobs", { raw: "" }), 400, "usage", "body is empty");
  });

  test("body that is not UTF-8 → 400", async () => {
    const res = await h.call("POST", "/api/jobs", { raw: new Uint8Array([0x7b, 0xff, 0xfe, 0x7d]) });
    await expectRefused(res, 400, "usage", "not UTF-8");
  });

  test("10 MB body with Content-Length → 413 naming the 64 KiB limit", async () => {
    const big = JSON.stringify({ name: "send-email", data: { to: "a@b.co", subject: "x".repeat(10 * 1024 * 1024) } });
    const res = await h.call("POST", "/api/jobs", { raw: big, headers: { "content-type": "application/json" } });
    await expectRefused(res, 413, "payload_too_large", "the limit is 65536 bytes");
  });

  test("10 MB chunked body (no Content-Length) → 413, cut off while reading", async () => {
    let sent = 0;
    const chunk = new TextEncoder().encode("x".repeat(64 * 1024));
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(new TextEncoder().encode('{"name":"send-email","data":{"to":"a@b.co","subject":"'));
      },
      pull(c) {
        if (sent >= 10 * 1024 * 1024) return c.close();
        sent += chunk.byteLength;
        c.enqueue(chunk);
      },
    });
    const res = await fetchWithin(h.url + "/api/jobs", { method: "POST", body: stream, headers: { "content-type": "application/json" }, duplex: "half" } as RequestInit);
    const body = await res.json();
    await expectRefused({ status: res.status, body }, 413, "payload_too_large", "too large");
    // The server stopped pulling long before the whole 10 MB was produced.
    expect(sent).toBeLessThan(10 * 1024 * 1024);
  });

  test("missing name → 400 naming the field", async () => {
    await expectRefused(await h.call("POST", "/api/jobs", { body: { data: {} } }), 400, "usage", /^name: /);
  });

  test("an unknown field → 400 naming it", async () => {
    await expectRefused(await h.call("POST", "/api/jobs", { body: { ...email, delay: 5 } }), 400, "usage", "delay: is not a field of an enqueue request");
  });

  test("wrong option types → 400 naming each field", async () => {
    const res = await h.call("POST", "/api/jobs", { body: { ...email, in: -5, priority: 1.5 } });
    await expectRefused(res, 400, "usage", "in: must be 0 or more seconds");
    expect(res.body.error.message).toContain("priority: ");
  });

  test("a bad `at` → 400", async () => {
    await expectRefused(await h.call("POST", "/api/jobs", { body: { ...email, at: "yesterday-ish garbage" } }), 400, "usage", 'at: "yesterday-ish garbage" is not a date');
  });

  test("an unconfigured queue → 400", async () => {
    await expectRefused(await h.call("POST", "/api/jobs", { body: { ...email, queue: "nope" } }), 400, "usage", 'queue: "nope" is not a configured queue');
  });

  test("payload failing the schema → 400 with the zod path", async () => {
    const res = await h.call("POST", "/api/jobs", { body: { name: "send-email", data: { to: "not-an-email", subject: 3, tags: ["ok", 7] } } });
    await expectRefused(res, 400, "validation", 'payload for job "send-email" does not match its schema');
    expect(res.body.error.message).toContain("to: ");
    expect(res.body.error.message).toContain("subject: ");
    expect(res.body.error.message).toContain("tags.1: ");
  });

  test("unknown job → 400 unknown_job listing the known ones", async () => {
    const res = await h.call("POST", "/api/jobs", { body: { name: "send-emial", data: {} } });
    await expectRefused(res, 400, "unknown_job", 'unknown job "send-emial"; known jobs: nightly, noop, report, send-email');
  });

  test("a batch with one bad item stores nothing and names the item", async () => {
    const res = await h.call("POST", "/api/jobs", { body: [email, email, { name: "send-email", data: { to: "x" } }] });
    await expectRefused(res, 400, "validation", "item 2: ");
  });

  test("a batch item with a bad field is named by index", async () => {
    const res = await h.call("POST", "/api/jobs", { body: [email, { ...email, priority: -1 }] });
    await expectRefused(res, 400, "usage", "item 1: priority: must be 0 or more");
  });

  test("an empty array → 400", async () => {
    await expectRefused(await h.call("POST", "/api/jobs", { body: [] }), 400, "usage", "the list is empty");
  });

  test("a body that is not an object → 400", async () => {
    await expectRefused(await h.call("POST", "/api/jobs", { body: "send-email" }), 400, "usage", "a job to enqueue is an object like");
    await expectRefused(await h.call("POST", "/api/jobs", { raw: "null" }), 400, "usage", "a job to enqueue is an object like");
  });
});

describe("GET /api/jobs/:id", () => {
  test("returns the record", async () => {
    const { body } = await h.call("POST", "/api/jobs", { body: email });
    const res = await h.call("GET", `/api/jobs/${body.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: body.id, name: "send-email", state: "waiting", data: email.data, attemptsMade: 0, errors: [] });
  });

  test("unknown id → 404", async () => {
    const res = await h.call("GET", "/api/jobs/nope");
    expect(res.status).toBe(404);
    expect(res.body.error).toEqual({ code: "not_found", message: 'no job with id "nope"' });
  });

  test("ids with reserved characters round-trip through encoding", async () => {
    await h.store.enqueue({ jobs: [{ id: "cron:tick:1700000000000", name: "noop", queue: "critical", data: {}, maxAttempts: 1 }], now: h.clock.now() });
    const res = await h.call("GET", `/api/jobs/${encodeURIComponent("cron:tick:1700000000000")}`);
    expect(res.status).toBe(200);
    expect(res.body.id).toBe("cron:tick:1700000000000");
  });
});

describe("GET /api/jobs", () => {
  async function seed() {
    for (let i = 0; i < 5; i++) {
      await h.call("POST", "/api/jobs", { body: email });
      h.clock.advance(1);
    }
    await h.call("POST", "/api/jobs", { body: { name: "noop" } });
    h.clock.advance(1);
    await h.call("POST", "/api/jobs", { body: { ...email, in: 60 } });
  }

  test("lists newest first, with filters", async () => {
    await seed();
    const all = await h.call("GET", "/api/jobs");
    expect(all.status).toBe(200);
    expect(all.body.jobs).toHaveLength(7);
    expect(all.body.nextCursor).toBeUndefined();
    expect((await h.call("GET", "/api/jobs?state=delayed")).body.jobs).toHaveLength(1);
    expect((await h.call("GET", "/api/jobs?queue=critical")).body.jobs.map((j: any) => j.name)).toEqual(["noop"]);
    expect((await h.call("GET", "/api/jobs?name=send-email&state=waiting")).body.jobs).toHaveLength(5);
  });

  test("empty parameters mean 'any'", async () => {
    await seed();
    expect((await h.call("GET", "/api/jobs?state=&queue=&cursor=&limit=")).body.jobs).toHaveLength(7);
  });

  test("pages with limit and cursor", async () => {
    await seed();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await h.call("GET", `/api/jobs?limit=3${cursor ? `&cursor=${cursor}` : ""}`);
      expect(res.status).toBe(200);
      expect(res.body.jobs.length).toBeLessThanOrEqual(3);
      seen.push(...res.body.jobs.map((j: any) => j.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen).toHaveLength(7);
    expect(new Set(seen).size).toBe(7);
  });

  test("a bad state → 400 naming the param and the allowed values", async () => {
    const res = await h.call("GET", "/api/jobs?state=done");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toBe('state: must be one of waiting, delayed, active, completed, failed, cancelled; got "done"');
  });

  test("limit outside 1..1000 or not a number → 400", async () => {
    for (const limit of ["0", "1001", "abc", "2.5", "-1"]) {
      const res = await h.call("GET", `/api/jobs?limit=${limit}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe("limit: must be a whole number from 1 to 1000");
    }
    expect((await h.call("GET", "/api/jobs?limit=1000")).status).toBe(200);
  });

  test("an unknown parameter → 400 naming it", async () => {
    const res = await h.call("GET", "/api/jobs?stat=failed");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("unknown query parameter(s) stat");
  });

  test("a cursor this server never issued → 400", async () => {
    const res = await h.call("GET", "/api/jobs?cursor=garbage");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("cursor");
  });
});

describe("managing jobs", () => {
  test("cancel, retry, remove", async () => {
    const { body } = await h.call("POST", "/api/jobs", { body: email });
    const cancelled = await h.call("POST", `/api/jobs/${body.id}/cancel`);
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ id: body.id, state: "cancelled" });

    const retried = await h.call("POST", `/api/jobs/${body.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ id: body.id, state: "waiting", attemptsMade: 0 });

    const busy = await h.call("DELETE", `/api/jobs/${body.id}`);
    expect(busy.status).toBe(200);
    expect(busy.body).toEqual({ id: body.id, removed: true });
    expect(await h.jobCount()).toBe(0);
  });

  test("a transition that does not apply → 409 invalid_state, job unchanged", async () => {
    const { body } = await h.call("POST", "/api/jobs", { body: email });
    const res = await h.call("POST", `/api/jobs/${body.id}/retry`);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("invalid_state");
    expect((await h.store.getJob(body.id))!.state).toBe("waiting");

    const [reserved] = await h.store.reserve({ queues: ["default"], workerId: "w", max: 1, leaseMs: 30_000, now: h.clock.now() });
    const del = await h.call("DELETE", `/api/jobs/${reserved.id}`);
    expect(del.status).toBe(409);
    expect(del.body.error.message).toContain("cancel it first");
    expect(await h.jobCount()).toBe(1);
  });

  test("unknown id → 404 for retry, cancel and delete", async () => {
    for (const [method, path] of [
      ["POST", "/api/jobs/nope/retry"],
      ["POST", "/api/jobs/nope/cancel"],
      ["DELETE", "/api/jobs/nope"],
    ] as const) {
      const res = await h.call(method, path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
    }
  });
});
