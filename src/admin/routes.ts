/**
 * The admin API's route table (DESIGN §5). Each handler validates its input
 * at the edge (zod for queries, Operations for enqueue bodies) and calls
 * Operations, so the HTTP API and the CLI behave the same. Matching tells a
 * wrong method (405 with Allow) from an unknown path (404).
 */

import { z } from "zod";
import { UsageError } from "../core/errors.ts";
import { JOB_STATES } from "../core/types.ts";
import { CONTENT_TYPE as METRICS_TYPE } from "../metrics/exposition.ts";
import type { Operations } from "../ops/operations.ts";
import type { StatusCache } from "../ops/status-cache.ts";
import { readJsonBody } from "./body.ts";
import { dashboardAsset, dashboardResponse } from "./dashboard.ts";
import { describeZodError, jsonResponse } from "./http-errors.ts";
import type { LiveFeed } from "./live-feed.ts";

export interface HealthReport {
  ok: boolean;
  /** Shown as `status`: "ok", "degraded" (up, but a check fails: e.g. the store refuses writes) or "unavailable". */
  status?: "ok" | "degraded" | "unavailable";
  details: Record<string, unknown>;
}

export type HealthCheck = () => Promise<HealthReport>;

export interface RouteDeps {
  ops: Operations;
  health: HealthCheck;
  maxBodyBytes: number;
  /** The Prometheus text for GET /metrics. */
  metrics(): Promise<string>;
  /** GET /api/events streams from here. */
  feed: LiveFeed;
  /** The status read shared with the feed and /metrics. */
  status: StatusCache;
  /** admin.readOnly: the page hides its actions (the guard refuses them). */
  readOnly: boolean;
}

export interface RouteContext {
  req: Request;
  /** Canonical, checked by the guard. */
  path: string;
  query: URLSearchParams;
  params: Record<string, string>;
  deps: RouteDeps;
}

export type Method = "GET" | "POST" | "DELETE";

interface Route {
  method: Method;
  pattern: string;
  segments: string[];
  handle(ctx: RouteContext): Promise<Response> | Response;
}

export type RouteMatch =
  | { kind: "found"; handle: Route["handle"]; params: Record<string, string> }
  | { kind: "wrong_method"; allowed: Method[] }
  | { kind: "none" };

const listJobsQuery = z
  .object({
    state: z
      .enum(JOB_STATES, { error: (iss) => `must be one of ${JOB_STATES.join(", ")}; got "${String(iss.input)}"` })
      .optional(),
    queue: z.string().optional(),
    name: z.string().optional(),
    cursor: z.string().optional(),
    limit: z.coerce
      .number({ error: "must be a whole number from 1 to 1000" })
      .int("must be a whole number from 1 to 1000")
      .min(1, "must be a whole number from 1 to 1000")
      .max(1000, "must be a whole number from 1 to 1000")
      .default(50),
  })
  .strict();

const ROUTES: Route[] = [
  route("GET", "/", ({ deps }) => dashboardResponse(deps.readOnly)),
  route("GET", "/ui/app.js", () => dashboardAsset("/ui/app.js")),
  route("GET", "/ui/app.css", () => dashboardAsset("/ui/app.css")),
  route("GET", "/health", health),
  route("GET", "/metrics", async ({ deps }) => new Response(await deps.metrics(), { headers: { "content-type": METRICS_TYPE } })),
  // Fresh, but shared: concurrent callers (polling dashboards) get one read, and a slow store is not read back to back (StatusCache).
  route("GET", "/api/status", async ({ deps }) => jsonResponse(await deps.status.get(0))),
  route("GET", "/api/events", ({ req, deps }) => deps.feed.open(req.signal)),
  route("GET", "/api/job-types", async ({ deps }) => jsonResponse({ jobs: await deps.ops.jobTypes() })),
  route("GET", "/api/queues", async ({ deps }) => jsonResponse({ queues: await deps.ops.queues() })),
  route("POST", "/api/queues/:queue/pause", async ({ deps, params }) => {
    await deps.ops.pauseQueue(params.queue);
    return jsonResponse({ queue: params.queue, paused: true });
  }),
  route("POST", "/api/queues/:queue/resume", async ({ deps, params }) => {
    await deps.ops.resumeQueue(params.queue);
    return jsonResponse({ queue: params.queue, paused: false });
  }),
  route("POST", "/api/queues/:queue/retry-failed", async ({ deps, params }) => jsonResponse(await deps.ops.retryFailed(params.queue))),
  route("GET", "/api/jobs", listJobs),
  route("POST", "/api/jobs", enqueue),
  route("GET", "/api/jobs/:id", async ({ deps, params }) => jsonResponse(await deps.ops.getJob(params.id))),
  route("DELETE", "/api/jobs/:id", async ({ deps, params }) => {
    await deps.ops.removeJob(params.id);
    return jsonResponse({ id: params.id, removed: true });
  }),
  route("POST", "/api/jobs/:id/retry", async ({ deps, params }) => jsonResponse(await deps.ops.retryJob(params.id))),
  route("POST", "/api/jobs/:id/cancel", async ({ deps, params }) => jsonResponse(await deps.ops.cancelJob(params.id))),
  route("GET", "/api/workers", async ({ deps }) => jsonResponse({ workers: await deps.ops.workers() })),
  route("GET", "/api/schedules", async ({ deps }) => {
    const { schedules, leader } = await deps.ops.schedules();
    return jsonResponse({ schedules, leader: leader ?? null });
  }),
  route("POST", "/api/schedules/:name/pause", async ({ deps, params }) => {
    await deps.ops.pauseSchedule(params.name);
    return jsonResponse({ name: params.name, paused: true });
  }),
  route("POST", "/api/schedules/:name/resume", async ({ deps, params }) => {
    await deps.ops.resumeSchedule(params.name);
    return jsonResponse({ name: params.name, paused: false });
  }),
  route("POST", "/api/schedules/:name/trigger", async ({ deps, params }) => jsonResponse(await deps.ops.triggerSchedule(params.name), 201)),
];

/** Every route as `method` and `pattern` (`/api/jobs/:id`): for tests that must cover each one, and for the CLI parity check. */
export function routeTable(): { method: Method; pattern: string }[] {
  return ROUTES.map(({ method, pattern }) => ({ method, pattern }));
}

/** Finds the route for `method path`; HEAD is answered by the GET route (Bun drops the body). */
export function matchRoute(method: string, path: string): RouteMatch {
  const parts = splitPath(path);
  const wanted = method === "HEAD" ? "GET" : method;
  const allowed: Method[] = [];
  for (const r of ROUTES) {
    const params = matchSegments(r.segments, parts);
    if (!params) continue;
    if (r.method === wanted) return { kind: "found", handle: r.handle, params };
    allowed.push(r.method);
  }
  return allowed.length ? { kind: "wrong_method", allowed } : { kind: "none" };
}

/** A store that hangs must not hang the health check: no answer within this is "unavailable". */
const HEALTH_TIMEOUT_MS = 3_000;

async function health({ deps }: RouteContext): Promise<Response> {
  let report: HealthReport;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`health check did not answer within ${HEALTH_TIMEOUT_MS} ms`)), HEALTH_TIMEOUT_MS);
  });
  try {
    report = await Promise.race([deps.health(), late]);
  } catch (err) {
    report = { ok: false, details: { error: err instanceof Error ? err.message : String(err) } };
  } finally {
    clearTimeout(timer);
  }
  return jsonResponse({ status: report.status ?? (report.ok ? "ok" : "unavailable"), ...report.details }, report.ok ? 200 : 503);
}

async function listJobs({ query, deps }: RouteContext): Promise<Response> {
  // An empty parameter (`?state=&queue=`, as a form sends it) means "any".
  const raw = Object.fromEntries([...query].filter(([, v]) => v !== ""));
  const parsed = listJobsQuery.safeParse(raw);
  if (!parsed.success) throw new UsageError(describeZodError(parsed.error, "query"));
  return jsonResponse(await deps.ops.listJobs(parsed.data));
}

/** One object → 201 `{id, deduplicated}`; an array → 201 `[{id, deduplicated}]`, all validated before any is stored. */
async function enqueue({ req, deps }: RouteContext): Promise<Response> {
  const body = await readJsonBody(req, deps.maxBodyBytes);
  if (Array.isArray(body)) return jsonResponse(await deps.ops.enqueue(body), 201);
  const [result] = await deps.ops.enqueue([body]);
  return jsonResponse(result, 201, { location: `/api/jobs/${encodeURIComponent(result.id)}` });
}

function route(method: Method, pattern: string, handle: Route["handle"]): Route {
  return { method, pattern, segments: splitPath(pattern), handle };
}

/** Segments of a canonical path (the guard refused empty segments): "/" has none. */
function splitPath(path: string): string[] {
  return path === "/" ? [] : path.slice(1).split("/");
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  if (pattern.length !== parts.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i];
    if (p.startsWith(":")) params[p.slice(1)] = decodeSegment(parts[i]);
    else if (p !== parts[i]) return undefined;
  }
  return params;
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new UsageError(`path segment "${segment}" is not valid percent-encoding`);
  }
}
