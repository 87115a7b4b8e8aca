/**
 * The admin API's guard, tried the way an attacker would: every route of
 * the route table (so a route added later is covered without editing this
 * file) under every odd spelling, with no token, a wrong one and the right
 * one; cross-site, null-Origin and DNS-rebound browser requests in every
 * content type; malformed Host headers; absurdly nested payloads. The store
 * is compared before and after every refused request.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { routeTable } from "../../src/admin/routes.ts";
import { createLogger } from "../../src/core/logger.ts";
import { rawRequest, type RawReply } from "../helpers/raw-http.ts";
import { startHarness, type Harness } from "./harness.ts";

const TOKEN = "right-token-0123456789abcdef";
/** The guard's public list, spelled out here so that making a route public is a deliberate change of two files. */
const PUBLIC = new Set(["GET /", "GET /ui/app.js", "GET /ui/app.css", "GET /health"]);

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

async function setup(token?: string): Promise<{ h: Harness; fingerprint: () => Promise<string>; jobId: string }> {
  const harness = await startHarness({ token });
  const [{ id }] = await harness.store.enqueue({ jobs: [{ name: "noop", queue: "critical", data: {}, maxAttempts: 3 }], now: Date.now() });
  await harness.store.enqueue({ jobs: [{ name: "noop", queue: "default", data: {}, maxAttempts: 3 }], now: Date.now() });
  const fingerprint = async () =>
    JSON.stringify([
      (await harness.store.listJobs({ limit: 1000 })).jobs.map((j) => [j.id, j.state, j.queue, j.data]),
      await harness.store.counts(["critical", "default", "low"]),
      await harness.store.scheduleStates(),
    ]);
  return { h: harness, fingerprint, jobId: id };
}

/** A concrete path for a route pattern: existing job, configured queue, known schedule. */
function concrete(pattern: string, jobId: string): string {
  return pattern.replace(":id", jobId).replace(":queue", "default").replace(":name", "nightly");
}

/** The spellings the issue lists, derived from the canonical path. */
function spellings(path: string): string[] {
  const rest = path.slice(1); // "api/jobs/x"
  const slash = rest.indexOf("/");
  const out = [
    "/" + path, // //api/x
    "//" + path, // ///api/x
    "/./" + rest, // /./api/x
    "/x/../" + rest, // /x/../api/x
    `/%${rest.charCodeAt(0).toString(16)}${rest.slice(1)}`, // /%61pi/x
    path + "/", // /api/x/
    path.toUpperCase(), // /API/X
  ];
  if (slash > 0) {
    out.push("/" + rest.slice(0, slash) + "//" + rest.slice(slash + 1)); // /api//x
    out.push("/" + rest.slice(0, slash) + "%2f" + rest.slice(slash + 1)); // /api%2fx
    out.push("/" + rest.slice(0, slash) + "%2F" + rest.slice(slash + 1));
  }
  return out;
}

function send(port: number, method: string, target: string, headers: [string, string][], body?: string): Promise<RawReply> {
  return rawRequest(port, { method, target, headers: [["host", `127.0.0.1:${port}`], ...headers], body });
}

describe("every route, every spelling, with and without the token", () => {
  test("nothing is a 2xx without the right token, and refused requests change nothing", async () => {
    const s = await setup(TOKEN);
    h = s.h;
    const routes = routeTable();
    expect(routes.length).toBeGreaterThanOrEqual(13);
    const auth = {
      none: [] as [string, string][],
      wrong: [["authorization", "Bearer wrong-token-0123456789abcdef"]] as [string, string][],
      right: [["authorization", `Bearer ${TOKEN}`]] as [string, string][],
    };
    let tried = 0;
    for (const route of routes) {
      if (PUBLIC.has(`${route.method} ${route.pattern}`)) continue;
      const path = concrete(route.pattern, s.jobId);
      const json: [string, string][] = [["content-type", "application/json"]];
      const body = route.method === "POST" && route.pattern === "/api/jobs" ? JSON.stringify({ name: "noop" }) : undefined;
      for (const target of [path, ...spellings(path)]) {
        for (const [who, headers] of Object.entries(auth)) {
          if (who === "right" && target === path) continue; // the one request that is meant to work
          const before = await s.fingerprint();
          const res = await send(h.server.port, route.method, target, [...headers, ...json], body);
          tried++;
          if (who !== "right") {
            expect({ route: `${route.method} ${target}`, who, status: res.status }).toMatchObject({ status: expect.any(Number) });
            if (res.status >= 200 && res.status < 300) throw new Error(`${route.method} ${target} answered ${res.status} with ${who} token`);
          }
          if (res.status < 200 || res.status >= 300) expect(await s.fingerprint()).toBe(before);
          expect(res.headers["x-content-type-options"]).toBe("nosniff");
          // A right-token request that Bun resolved to the route itself may have removed the job: put it back for the next route.
          if (!(await h.store.getJob(s.jobId))) await h.store.enqueue({ jobs: [{ id: s.jobId, name: "noop", queue: "critical", data: {}, maxAttempts: 3 }], now: Date.now() });
        }
      }
    }
    expect(tried).toBeGreaterThan(routes.length * 20);
  });

  test("non-canonical spellings are refused with 400 even with the right token; Bun's own dot-segment resolution is canonical", async () => {
    const s = await setup(TOKEN);
    h = s.h;
    const right: [string, string][] = [["authorization", `Bearer ${TOKEN}`], ["content-type", "application/json"]];
    for (const target of ["//api/queues", "///api/queues", "/api//queues", "/%61pi/queues", "/api/queues/", "/api%2fqueues", "/api/qu%65ues"]) {
      const res = await send(h.server.port, "GET", target, right);
      expect({ target, status: res.status }).toEqual({ target, status: 400 });
      expect(JSON.parse(res.body).error.code).toBe("non_canonical_path");
    }
    // Bun resolves "." and ".." before the request reaches us, so these are the route itself, guarded as usual.
    expect((await send(h.server.port, "GET", "/./api/queues", [])).status).toBe(401);
    expect((await send(h.server.port, "GET", "/./api/queues", right)).status).toBe(200);
    expect((await send(h.server.port, "GET", "/API/QUEUES", right)).status).toBe(404);
  });

  test("public routes are only /health, the dashboard page and its two assets; odd spellings of them are 400", async () => {
    const s = await setup(TOKEN);
    h = s.h;
    const publicGets = routeTable().filter((r) => PUBLIC.has(`${r.method} ${r.pattern}`));
    expect(publicGets.map((r) => r.pattern).sort()).toEqual(["/", "/health", "/ui/app.css", "/ui/app.js"]);
    for (const r of publicGets) expect({ path: r.pattern, status: (await send(h.server.port, "GET", r.pattern, [])).status }).toEqual({ path: r.pattern, status: 200 });
    for (const target of ["//health", "/health/", "/%68ealth", "/ui//app.js", "/ui/app.js/", "/%75i/app.css"]) expect((await send(h.server.port, "GET", target, [])).status).toBe(400);
    expect((await send(h.server.port, "POST", "/ui/app.js", [["content-type", "application/json"]])).status).toBe(401);
    expect((await send(h.server.port, "GET", "/metrics", [])).status).toBe(401);
    expect((await send(h.server.port, "GET", "/nope", [])).status).toBe(401);
  });
});

describe("browser attacks with no token on loopback", () => {
  const attacks: { what: string; headers: (port: number) => [string, string][] }[] = [
    { what: "cross-site Origin", headers: (p) => [["host", `127.0.0.1:${p}`], ["origin", "http://evil.example"]] },
    { what: "null Origin", headers: (p) => [["host", `127.0.0.1:${p}`], ["origin", "null"]] },
    { what: "Sec-Fetch-Site cross-site", headers: (p) => [["host", `127.0.0.1:${p}`], ["sec-fetch-site", "cross-site"]] },
    { what: "rebound Host", headers: (p) => [["host", `rebind.example:${p}`]] },
    { what: "rebound Host with its own Origin", headers: (p) => [["host", `rebind.example:${p}`], ["origin", `http://rebind.example:${p}`]] },
  ];
  const bodies: { type: string; body: string }[] = [
    { type: "text/plain", body: JSON.stringify({ name: "noop", data: {} }) },
    { type: "application/x-www-form-urlencoded", body: "name=noop" },
    { type: "multipart/form-data; boundary=x", body: '--x\r\ncontent-disposition: form-data; name="name"\r\n\r\nnoop\r\n--x--\r\n' },
    { type: "application/json", body: JSON.stringify({ name: "noop", data: {} }) },
  ];

  test("no job is enqueued, paused, retried, cancelled or removed, on any route or spelling", async () => {
    const s = await setup();
    h = s.h;
    const before = await s.fingerprint();
    let tried = 0;
    for (const route of routeTable().filter((r) => r.method !== "GET")) {
      const path = concrete(route.pattern, s.jobId);
      for (const target of [path, ...spellings(path)]) {
        for (const attack of attacks) {
          for (const b of bodies) {
            const res = await rawRequest(h.server.port, { method: route.method, target, headers: [...attack.headers(h.server.port), ["content-type", b.type]], body: b.body });
            tried++;
            if (res.status < 400) throw new Error(`${attack.what} ${b.type} ${route.method} ${target} answered ${res.status}`);
          }
        }
      }
    }
    expect(await s.fingerprint()).toBe(before);
    expect(tried).toBeGreaterThan(500);
  });

  test("a same-origin JSON request from the dashboard's own page still works", async () => {
    const s = await setup();
    h = s.h;
    const port = h.server.port;
    const res = await rawRequest(port, {
      method: "POST",
      target: "/api/queues/low/pause",
      headers: [["host", `127.0.0.1:${port}`], ["origin", `http://127.0.0.1:${port}`], ["sec-fetch-site", "same-origin"], ["content-type", "application/json"]],
    });
    expect(res.status).toBe(200);
  });

  test("a state change without Content-Type: application/json is 415, even from curl", async () => {
    const s = await setup();
    h = s.h;
    const before = await s.fingerprint();
    const res = await send(h.server.port, "POST", "/api/jobs", [["content-type", "text/plain"]], JSON.stringify({ name: "noop" }));
    expect(res.status).toBe(415);
    expect(JSON.parse(res.body).error.message).toContain("Content-Type: application/json");
    expect((await send(h.server.port, "POST", "/api/queues/low/pause", [])).status).toBe(415);
    expect(await s.fingerprint()).toBe(before);
  });
});

describe("malformed requests", () => {
  test("a missing, empty or malformed Host, and CONNECT, get 400 and at most one log line, with no stack", async () => {
    const lines: string[] = [];
    const log = createLogger({ level: "debug", format: "json", write: (l) => lines.push(l) });
    h = await startHarness({ log });
    const port = h.server.port;
    const cases = [
      { target: "/api/queues", headers: [] as [string, string][], version: "HTTP/1.0" as const },
      { target: "/api/queues", headers: [["host", ""]] as [string, string][] },
      { target: "/api/queues", headers: [["host", "a b"]] as [string, string][] },
      { target: "/api/queues", headers: [["host", "localhost:99999"]] as [string, string][] },
      { target: "/api/queues", headers: [["host", "a/b"]] as [string, string][] },
      { method: "CONNECT", target: "localhost:80", headers: [["host", "localhost:80"]] as [string, string][] },
    ];
    for (const c of cases) {
      const res = await rawRequest(port, c);
      expect({ case: c, status: res.status }).toEqual({ case: c, status: 400 });
      expect(res.headers["x-content-type-options"]).toBe("nosniff");
    }
    const warnings = lines.map((l) => JSON.parse(l)).filter((l) => l.level === "warn" || l.level === "error");
    expect(warnings.length).toBe(1);
    expect(warnings[0].msg).toContain("refused a malformed admin request");
    expect(lines.join("\n")).not.toContain("stack");
    expect(lines.join("\n")).not.toMatch(/\n\s+at /);
  });

  test("a payload nested 100,000 levels is a 400 naming the limit; nothing is stored", async () => {
    h = await startHarness();
    const deep = "[".repeat(100_000) + "]".repeat(100_000);
    const res = await h.call("POST", "/api/jobs", { raw: `{"name":"noop","data":{"x":${deep}}}`, headers: { "content-type": "application/json" } });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("64 levels");
    expect(await h.jobCount()).toBe(0);
  });

  test("a payload nested 65 levels is refused, 64 levels is stored", async () => {
    h = await startHarness();
    const nest = (n: number): unknown => (n === 0 ? 1 : [nest(n - 1)]);
    // The harness job "noop" has no schema, so any payload shape is accepted apart from depth.
    const ok = await h.call("POST", "/api/jobs", { body: { name: "noop", data: nest(63) } });
    expect(ok.status).toBe(201);
    const tooDeep = await h.call("POST", "/api/jobs", { body: { name: "noop", data: nest(65) } });
    expect(tooDeep.status).toBe(400);
    expect(tooDeep.body.error.message).toContain("64 levels");
    expect(await h.jobCount()).toBe(1);
  });

  test("the stored payload is the one the schema parsed: keys it does not know are dropped", async () => {
    h = await startHarness();
    const res = await h.call("POST", "/api/jobs", { body: { name: "send-email", data: { to: "a@b.co", subject: "hi", isAdmin: true } } });
    expect(res.status).toBe(201);
    expect((await h.store.getJob(res.body.id))!.data).toEqual({ to: "a@b.co", subject: "hi" });
  });
});
