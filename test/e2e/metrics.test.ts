/**
 * GET /metrics of the built binary, scraped and parsed with a strict
 * Prometheus text parser (test/helpers/prom-text.ts) while jobs run: the
 * counters for enqueued, completed, retried and failed jobs move by what
 * ran, the run and wait histograms count every finished try, and the store
 * gauges (jobs per state, workers, leader) catch up within their cache.
 * Every job enqueued here goes through the server's API, so its process
 * counts it.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeProject, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { parsePromText, sample, total, type PromFamily } from "../helpers/prom-text.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

const TOKEN = "metrics-token-0123456789";
const AUTH = { authorization: `Bearer ${TOKEN}` };

describe("e2e: /metrics while jobs run", () => {
  let project: Project;
  let server: Server;
  let url: string;

  beforeAll(async () => {
    project = makeProject();
    server = startServer(["--admin-port", "0", "--concurrency", "4"], { cwd: project.dir, env: { QWORKER_ADMIN_TOKEN: TOKEN, QW_TEST_OUT: project.out } });
    url = await server.adminUrl();
  });

  afterAll(async () => {
    server.kill("SIGKILL");
    await within(server.exited, 10_000, "the killed server to exit");
    project.cleanup();
  });

  const scrape = async (): Promise<Map<string, PromFamily>> => {
    const res = await fetchWithin(`${url}/metrics`, { headers: AUTH });
    expect(res.status).toBe(200);
    return parsePromText(await res.text());
  };

  const enqueue = async (body: unknown) => {
    const res = await fetchWithin(`${url}/api/jobs`, { method: "POST", headers: { ...AUTH, "content-type": "application/json" }, body: JSON.stringify(body) });
    expect(res.status).toBe(201);
    return res.json();
  };

  test("without the token it is 401", async () => {
    expect((await fetchWithin(`${url}/metrics`)).status).toBe(401);
  });

  test("the counters move by what ran: enqueued, completed, retried, failed, and the histograms count each try", async () => {
    const before = await scrape();
    const noop = { job: "noop", queue: "default" };
    const fails = { job: "always-fails", queue: "default" };
    expect(sample(before, "qworker_jobs_completed_total", noop) ?? 0).toBe(0);

    await enqueue(Array.from({ length: 5 }, () => ({ name: "noop" })));
    await enqueue([{ name: "always-fails" }, { name: "always-fails" }]); // 2 attempts each: one retry, then failed
    await enqueue({ name: "progress", data: { steps: 2, stepMs: 20 } });

    const after = await waitFor(
      async () => {
        const m = await scrape();
        return (sample(m, "qworker_jobs_completed_total", noop) ?? 0) >= 5 && (sample(m, "qworker_jobs_failed_total", fails) ?? 0) >= 2 && (sample(m, "qworker_jobs_completed_total", { job: "progress", queue: "default" }) ?? 0) >= 1 && m;
      },
      { timeoutMs: 30_000, intervalMs: 100, what: "the counters to count 5 noop, 2 failed always-fails and 1 progress" },
    );
    expect(sample(after, "qworker_jobs_enqueued_total", noop)).toBe(5);
    expect(sample(after, "qworker_jobs_enqueued_total", fails)).toBe(2);
    expect(sample(after, "qworker_jobs_completed_total", noop)).toBe(5);
    expect(sample(after, "qworker_jobs_retried_total", fails)).toBe(2);
    expect(sample(after, "qworker_jobs_failed_total", fails)).toBe(2);
    expect(sample(after, "qworker_jobs_stalled_total", noop)).toBeUndefined();
    // Every finished try is one run and one wait observation.
    expect(sample(after, "qworker_job_run_seconds_count", noop)).toBe(5);
    expect(sample(after, "qworker_job_run_seconds_count", fails)).toBe(4);
    expect(sample(after, "qworker_job_wait_seconds_count", fails)).toBe(4);
    expect(sample(after, "qworker_job_run_seconds_bucket", { ...noop, le: "+Inf" })).toBe(5);
    expect(sample(after, "qworker_job_run_seconds_sum", { job: "progress", queue: "default" })).toBeGreaterThanOrEqual(0.04);
    expect(sample(after, "process_resident_memory_bytes", {})).toBeGreaterThan(10_000_000);
    expect(total(after, "qworker_info")).toBe(1);

    // A second round moves the counters again by exactly what ran.
    await enqueue([{ name: "noop" }, { name: "noop" }]);
    const again = await waitFor(async () => {
      const m = await scrape();
      return (sample(m, "qworker_jobs_completed_total", noop) ?? 0) >= 7 && m;
    }, { timeoutMs: 30_000, intervalMs: 100, what: "two more noop completions" });
    expect(sample(again, "qworker_jobs_completed_total", noop)).toBe(7);
    expect(sample(again, "qworker_jobs_enqueued_total", noop)).toBe(7);
  });

  test("the store gauges catch up within their cache: jobs per state, live workers, the leader", async () => {
    const m = await waitFor(
      async () => {
        const s = await scrape();
        return sample(s, "qworker_jobs", { queue: "default", state: "failed" }) === 2 && sample(s, "qworker_scheduler_has_leader", {}) === 1 && s;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: "the cached store gauges (at most 5 s old) to show the 2 failed jobs and the leader" },
    );
    expect(sample(m, "qworker_jobs", { queue: "default", state: "completed" })).toBeGreaterThanOrEqual(6);
    expect(sample(m, "qworker_workers", { state: "alive" })).toBe(1);
    expect(total(m, "qworker_scheduler_leader")).toBe(1);
    expect(sample(m, "qworker_queue_paused", { queue: "low" })).toBe(0);
    expect(sample(m, "qworker_store_up", {})).toBe(1);
  });
});
