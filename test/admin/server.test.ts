import { afterEach, describe, expect, test } from "bun:test";
import { AdminServer, isLoopbackHost } from "../../src/admin/server.ts";
import { ConfigError } from "../../src/core/errors.ts";
import { fetchWithin } from "../helpers/wait.ts";
import { startHarness, type Harness } from "./harness.ts";

const TOKEN = "s3cret-token-0123456789";

let h: Harness | undefined;
afterEach(async () => {
  await h?.close();
  h = undefined;
});

describe("AdminServer lifecycle", () => {
  test("listens on port 0, reports url and port, and stop() is idempotent", async () => {
    h = await startHarness();
    expect(h.server.port).toBeGreaterThan(0);
    expect(h.url).toBe(`http://127.0.0.1:${h.server.port}`);
    await h.server.start(); // already started: no-op
    await h.server.stop();
    await h.server.stop();
    expect(() => h!.server.url).toThrow(/not started/);
    await expect(fetchWithin(h.url + "/health")).rejects.toThrow();
  });

  test("stop() before start() is safe", async () => {
    h = await startHarness();
    const other = new AdminServer({ ops: h.ops, port: 0 });
    await other.stop();
  });

  test("refuses a non-loopback host without a token (ConfigError, exit 2)", async () => {
    h = await startHarness();
    const server = new AdminServer({ ops: h.ops, host: "0.0.0.0", port: 0 });
    const err = await server.start().catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.exitCode).toBe(2);
    expect(err.message).toContain("refusing to listen on 0.0.0.0 without a token");
  });

  test("a non-loopback host with a token starts", async () => {
    h = await startHarness();
    const server = new AdminServer({ ops: h.ops, host: "0.0.0.0", port: 0, token: TOKEN });
    await server.start();
    const res = await fetchWithin(`http://127.0.0.1:${server.port}/health`);
    expect(res.status).toBe(200);
    await server.stop();
  });

  test("an empty token is a config error, not 'no token'", async () => {
    h = await startHarness();
    expect(() => new AdminServer({ ops: h!.ops, token: "  " })).toThrow(ConfigError);
  });

  test("a port in use is a ConfigError naming host and port", async () => {
    h = await startHarness();
    const clash = new AdminServer({ ops: h.ops, port: h.server.port });
    const err = await clash.start().catch((e) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(`127.0.0.1:${h.server.port}`);
  });

  test("isLoopbackHost", () => {
    for (const host of ["127.0.0.1", "127.1.2.3", "localhost", "::1", "[::1]", "LOCALHOST"]) expect(isLoopbackHost(host)).toBe(true);
    for (const host of ["0.0.0.0", "::", "10.0.0.1", "example.com", "128.0.0.1", "localhost.evil.com"]) expect(isLoopbackHost(host)).toBe(false);
  });
});

describe("GET /health", () => {
  test("200 with the store when it answers", async () => {
    h = await startHarness();
    const res = await h.call("GET", "/health");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: "ok", store: { backend: "memory", durable: false, reachable: true } });
  });

  test("503 when the store ping fails", async () => {
    h = await startHarness();
    h.store.down = true;
    const res = await h.call("GET", "/health");
    expect(res.status).toBe(503);
    expect(res.body.status).toBe("unavailable");
    expect(res.body.store.error).toContain("store is down");
  });

  test("a custom health check that throws is a 503, not a 500", async () => {
    h = await startHarness({
      health: async () => {
        throw new Error("boom");
      },
    });
    const res = await h.call("GET", "/health");
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ status: "unavailable", error: "boom" });
  });

  test("details of a custom health check are spread into the body", async () => {
    h = await startHarness({ health: async () => ({ ok: true, details: { store: "memory", role: "all" } }) });
    expect((await h.call("GET", "/health")).body).toEqual({ status: "ok", store: "memory", role: "all" });
  });
});

describe("routing", () => {
  test("GET / is the dashboard page: its script and style sheet come from this origin, nothing inline", async () => {
    h = await startHarness();
    const res = await fetchWithin(h.url + "/");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toContain("text/html");
    const html = await res.text();
    expect(html).toContain('<script type="module" src="/ui/app.js"></script>');
    expect(html).toContain('<link rel="stylesheet" href="/ui/app.css">');
    expect(html).not.toMatch(/<script>|<style|\sstyle=|\son[a-z]+=/i);
  });

  test("unknown route → 404 JSON", async () => {
    h = await startHarness();
    for (const path of ["/nope", "/api/nope", "/api/jobs/x/explode"]) {
      const res = await h.call("GET", path);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe("not_found");
      expect(res.body.error.message).toContain("no route");
    }
  });

  test("wrong method → 405 with Allow", async () => {
    h = await startHarness();
    const res = await h.call("PUT", "/api/jobs");
    expect(res.status).toBe(405);
    expect(res.body.error.code).toBe("method_not_allowed");
    expect(res.headers.get("allow")).toBe("GET, POST");
    const del = await h.call("POST", "/api/queues");
    expect(del.status).toBe(405);
    expect(del.headers.get("allow")).toBe("GET");
  });

  test("HEAD is answered like GET, without a body", async () => {
    h = await startHarness();
    const res = await fetchWithin(h.url + "/api/queues", { method: "HEAD" });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe("");
  });

  test("no CORS headers, and OPTIONS (a preflight) is not allowed", async () => {
    h = await startHarness();
    const res = await h.call("OPTIONS", "/api/jobs", { headers: { origin: "https://evil.example", "access-control-request-method": "POST" } });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const get = await h.call("GET", "/api/queues");
    expect(get.headers.get("access-control-allow-origin")).toBeNull();
    expect(get.headers.get("content-type")).toContain("application/json");
  });

  test("bad percent-encoding in an id → 400", async () => {
    h = await startHarness();
    const res = await h.call("GET", "/api/jobs/%E0%A4%A");
    expect(res.status).toBe(400);
    expect(res.body.error.message).toContain("percent-encoding");
  });
});

describe("token", () => {
  test("every /api call needs the bearer token; /health and / stay open", async () => {
    h = await startHarness({ token: TOKEN });
    const none = await fetchWithin(h.url + "/api/queues");
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toContain("Bearer");
    expect((await none.json()).error).toEqual({ code: "unauthorized", message: expect.stringContaining("Authorization: Bearer") });

    const wrong = await fetchWithin(h.url + "/api/queues", { headers: { authorization: `Bearer ${TOKEN}x` } });
    expect(wrong.status).toBe(401);
    expect((await wrong.json()).error.message).toContain("wrong");

    const short = await fetchWithin(h.url + "/api/queues", { headers: { authorization: "Bearer x" } });
    expect(short.status).toBe(401);

    const basic = await fetchWithin(h.url + "/api/queues", { headers: { authorization: `Basic ${btoa("u:" + TOKEN)}` } });
    expect(basic.status).toBe(401);

    const right = await fetchWithin(h.url + "/api/queues", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(right.status).toBe(200);

    expect((await fetchWithin(h.url + "/health")).status).toBe(200);
    expect((await fetchWithin(h.url + "/")).status).toBe(200);
  });

  test("unknown /api routes answer 401 before 404 (the route table is not revealed)", async () => {
    h = await startHarness({ token: TOKEN });
    expect((await fetchWithin(h.url + "/api/nope")).status).toBe(401);
  });

  test("a POST without the token stores nothing", async () => {
    h = await startHarness({ token: TOKEN });
    const res = await fetchWithin(h.url + "/api/jobs", { method: "POST", body: JSON.stringify({ name: "noop" }) });
    expect(res.status).toBe(401);
    expect(await h.jobCount()).toBe(0);
  });
});

describe("browser guard", () => {
  test("a cross-site form POST is refused and stores nothing", async () => {
    h = await startHarness();
    const res = await h.call("POST", "/api/jobs", {
      raw: JSON.stringify({ name: "noop" }),
      headers: { "content-type": "text/plain", origin: "https://evil.example", "sec-fetch-site": "cross-site" },
    });
    expect(res.status).toBe(403);
    expect(res.body.error.code).toBe("forbidden");
    expect(await h.jobCount()).toBe(0);
  });

  test("an Origin other than the server's own is refused", async () => {
    h = await startHarness();
    const res = await h.call("POST", "/api/jobs/x/cancel", { headers: { origin: "http://localhost:3000" } });
    expect(res.status).toBe(403);
  });

  test("a same-origin request (the future dashboard) passes", async () => {
    h = await startHarness();
    const res = await h.call("GET", "/api/queues", { headers: { origin: h.url, "sec-fetch-site": "same-origin" } });
    expect(res.status).toBe(200);
  });

  test("without a token, a non-loopback Host (DNS rebinding) is refused", async () => {
    h = await startHarness();
    const res = await h.call("GET", "/api/queues", { headers: { host: "evil.example:7420" } });
    expect(res.status).toBe(403);
    expect(res.body.error.message).toContain("is not a name of this server");
  });
});
