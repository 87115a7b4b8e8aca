/**
 * The dashboard's one way to the admin API: same-origin fetch with the
 * token from sessionStorage in an Authorization header (no cookies, so no
 * CSRF), JSON bodies with the JSON content type the server demands for
 * state changes, and errors as ApiError carrying the server's code and
 * message. A 401 raises Unauthorized, which the shell answers by asking
 * for the token once and trying again.
 */

import type { JobRecord } from "../../core/types.ts";
import type { JobTypeInfo, RetryFailedReport, ScheduleListing, StatusReport, WorkerView } from "../../ops/operations.ts";
import type { JobPage } from "../../store/store.ts";

const TOKEN_KEY = "qworker.token";

export class Unauthorized extends Error {
  constructor(message: string) {
    super(message);
    this.name = "Unauthorized";
  }
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "ApiError";
  }
}

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(value: string): void {
  sessionStorage.setItem(TOKEN_KEY, value);
}

export function forgetToken(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

export function authHeaders(): Record<string, string> {
  const t = token();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** Whether the server was started with admin.readOnly (the page says so in a meta tag). */
export const readOnly = document.querySelector('meta[name="qworker-read-only"]')?.getAttribute("content") === "true";

export async function call<T>(method: "GET" | "POST" | "DELETE", path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: "application/json", ...authHeaders() };
  if (method !== "GET") headers["content-type"] = "application/json";
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: "no-store" });
  const text = await res.text();
  let parsed: any;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  if (res.status === 401) throw new Unauthorized(parsed?.error?.message ?? "this server needs a token");
  if (!res.ok) throw new ApiError(res.status, parsed?.error?.code ?? `http_${res.status}`, parsed?.error?.message ?? `HTTP ${res.status}`);
  return parsed as T;
}

const seg = encodeURIComponent;

export const api = {
  status: () => call<StatusReport>("GET", "/api/status"),
  jobs: (q: Record<string, string | undefined>) => {
    const p = new URLSearchParams();
    for (const [k, v] of Object.entries(q)) if (v) p.set(k, v);
    return call<JobPage>("GET", `/api/jobs?${p}`);
  },
  job: (id: string) => call<JobRecord>("GET", `/api/jobs/${seg(id)}`),
  retry: (id: string) => call<JobRecord>("POST", `/api/jobs/${seg(id)}/retry`),
  cancel: (id: string) => call<JobRecord>("POST", `/api/jobs/${seg(id)}/cancel`),
  remove: (id: string) => call<unknown>("DELETE", `/api/jobs/${seg(id)}`),
  enqueue: (req: Record<string, unknown>) => call<{ id: string; deduplicated: boolean }>("POST", "/api/jobs", req),
  pauseQueue: (q: string) => call<unknown>("POST", `/api/queues/${seg(q)}/pause`),
  resumeQueue: (q: string) => call<unknown>("POST", `/api/queues/${seg(q)}/resume`),
  retryFailed: (q: string) => call<RetryFailedReport>("POST", `/api/queues/${seg(q)}/retry-failed`),
  workers: () => call<{ workers: WorkerView[] }>("GET", "/api/workers"),
  schedules: () => call<ScheduleListing>("GET", "/api/schedules"),
  pauseSchedule: (n: string) => call<unknown>("POST", `/api/schedules/${seg(n)}/pause`),
  resumeSchedule: (n: string) => call<unknown>("POST", `/api/schedules/${seg(n)}/resume`),
  jobTypes: () => call<{ jobs: JobTypeInfo[] }>("GET", "/api/job-types"),
};
