/**
 * A seeded fuzz of the admin API (a share of what `bun bench/fuzz.ts`
 * runs): hostile methods, paths, Host values, headers and bodies. Every
 * request must get an answer below 500, a 2xx only when the request was
 * allowed to pass at all, and a refused request must leave the store as it
 * was. The server must still answer /health at the end.
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import { rawRequest } from "../helpers/raw-http.ts";
import { fetchWithin } from "../helpers/wait.ts";
import { fuzzRequest } from "../fuzz/http-inputs.ts";
import { seeded } from "../fuzz/random.ts";
import { startHarness, type Harness } from "./harness.ts";

const TOKEN = "fuzz-token-0123456789abcdef";
const SEEDS = [1, 2, 3, 4];
const PER_SEED = 500;
const HTTP_METHODS = new Set(["GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "CONNECT"]);

let h: Harness;
let jobId: string;

beforeAll(async () => {
  h = await startHarness({ token: TOKEN });
  [{ id: jobId }] = await h.store.enqueue({ jobs: [{ name: "noop", queue: "critical", data: {}, maxAttempts: 3 }], now: Date.now() });
});
afterAll(() => h.close());

async function fingerprint(): Promise<string> {
  const page = await h.store.listJobs({ limit: 1000 });
  return JSON.stringify([page.jobs.map((j) => [j.id, j.state, j.data]), await h.store.counts(["critical", "default", "low"])]);
}

for (const seed of SEEDS) {
  test(`seed ${seed}: ${PER_SEED} hostile requests, no 5xx, no unearned 2xx, refused ones change nothing`, async () => {
    const rng = seeded(seed);
    for (let i = 0; i < PER_SEED; i++) {
      const { req, mayPass } = fuzzRequest(rng, { port: h.server.port, token: TOKEN, jobId });
      const before = await fingerprint();
      const res = await rawRequest(h.server.port, req);
      const where = `seed ${seed} #${i}: ${req.method} ${req.target.slice(0, 80)} → ${res.status}`;
      // Bun's HTTP parser closes the connection without a reply on a method that is not a known token ("GETT", "post").
      const unknownMethod = !HTTP_METHODS.has(req.method ?? "GET");
      if ((res.status === 0 && !unknownMethod) || res.status >= 500) throw new Error(`${where}: ${res.body.slice(0, 300)}`);
      if (res.status >= 200 && res.status < 300 && !mayPass) throw new Error(`${where}: a 2xx for a request that should not pass`);
      if (res.status < 200 || res.status >= 300) expect({ where, same: (await fingerprint()) === before }).toEqual({ where, same: true });
      if (!(await h.store.getJob(jobId))) await h.store.enqueue({ jobs: [{ id: jobId, name: "noop", queue: "critical", data: {}, maxAttempts: 3 }], now: Date.now() });
    }
    expect((await fetchWithin(h.url + "/health")).status).toBe(200);
  });
}
