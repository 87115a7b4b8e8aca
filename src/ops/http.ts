/**
 * The Operations over a running server's admin API (DESIGN §5), with the
 * global `fetch` of Bun and Node ≥ 20 (nothing here imports Bun APIs, so
 * the client package runs on plain Node). Every reply is parsed with its
 * shape from wire.ts; error replies come back as the server's typed errors
 * (errors.ts). An unreachable or silent server is StoreUnavailableError
 * (CLI exit 3): for the memory store the server is the only way in.
 */

import type { z } from "zod";
import { StoreUnavailableError } from "../core/errors.ts";
import type { EnqueueResult, JobRecord, QueueCounts } from "../core/types.ts";
import type { JobPage, ListJobsParams } from "../store/store.ts";
import { ClientClosedError, errorFromReply, RemoteError } from "./remote-errors.ts";
import type { JobTypeInfo, Operations, RetryFailedReport, ScheduleListing, StatusReport, WorkerView } from "./operations.ts";
import { ackWire, enqueueResultWire, enqueueResultsWire, jobPageWire, jobRecordWire, jobTypesWire, queuesWire, retryFailedWire, schedulesWire, statusWire, workersWire } from "./wire.ts";

export interface HttpOperationsOptions {
  /** Base URL of the admin API, e.g. `http://127.0.0.1:7420`. */
  url: string | URL;
  /** The server's admin token, sent as `Authorization: Bearer …`. */
  token?: string;
  /** Per request, default 30 s. */
  requestTimeoutMs?: number;
  /** Defaults to the global fetch (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
}

export class HttpOperations implements Operations {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;
  private readonly closing = new AbortController();

  constructor(private readonly opts: HttpOperationsOptions) {
    const url = new URL(String(opts.url));
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`the admin API url must be http:// or https://, got "${url.href}"`);
    this.base = url.href.replace(/\/+$/, "");
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.doFetch = opts.fetch ?? globalThis.fetch;
  }

  enqueue(requests: unknown[]): Promise<EnqueueResult[]> {
    return this.call("POST", "/api/jobs", enqueueResultsWire, requests);
  }

  getJob(id: string): Promise<JobRecord> {
    return this.call("GET", `/api/jobs/${seg(id)}`, jobRecordWire);
  }

  listJobs(p: ListJobsParams): Promise<JobPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) if (v !== undefined) q.set(k, String(v));
    return this.call("GET", `/api/jobs?${q}`, jobPageWire);
  }

  retryJob(id: string): Promise<JobRecord> {
    return this.call("POST", `/api/jobs/${seg(id)}/retry`, jobRecordWire);
  }

  cancelJob(id: string): Promise<JobRecord> {
    return this.call("POST", `/api/jobs/${seg(id)}/cancel`, jobRecordWire);
  }

  async removeJob(id: string): Promise<void> {
    await this.call("DELETE", `/api/jobs/${seg(id)}`, ackWire);
  }

  async queues(): Promise<QueueCounts[]> {
    return (await this.call("GET", "/api/queues", queuesWire)).queues;
  }

  async pauseQueue(queue: string): Promise<void> {
    await this.call("POST", `/api/queues/${seg(queue)}/pause`, ackWire);
  }

  async resumeQueue(queue: string): Promise<void> {
    await this.call("POST", `/api/queues/${seg(queue)}/resume`, ackWire);
  }

  retryFailed(queue: string): Promise<RetryFailedReport> {
    return this.call("POST", `/api/queues/${seg(queue)}/retry-failed`, retryFailedWire);
  }

  async workers(): Promise<WorkerView[]> {
    return (await this.call("GET", "/api/workers", workersWire)).workers;
  }

  schedules(): Promise<ScheduleListing> {
    return this.call("GET", "/api/schedules", schedulesWire);
  }

  async pauseSchedule(name: string): Promise<void> {
    await this.call("POST", `/api/schedules/${seg(name)}/pause`, ackWire);
  }

  async resumeSchedule(name: string): Promise<void> {
    await this.call("POST", `/api/schedules/${seg(name)}/resume`, ackWire);
  }

  async triggerSchedule(name: string): Promise<EnqueueResult> {
    return this.call("POST", `/api/schedules/${seg(name)}/trigger`, enqueueResultWire);
  }

  status(): Promise<StatusReport> {
    return this.call("GET", "/api/status", statusWire);
  }

  async jobTypes(): Promise<JobTypeInfo[]> {
    return (await this.call("GET", "/api/job-types", jobTypesWire)).jobs;
  }

  async close(): Promise<void> {
    this.closing.abort(new ClientClosedError());
  }

  /** One admin API call: `body` goes as JSON; the JSON reply is checked against `wire`; an error reply rejects with its typed error. */
  private async call<S extends z.ZodType>(method: string, path: string, wire: S, body?: unknown): Promise<z.output<S>> {
    if (this.closing.signal.aborted) throw new ClientClosedError();
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    // The server takes state changes only as JSON (its CSRF defence), body or not.
    if (method !== "GET" && method !== "HEAD") headers["content-type"] = "application/json";
    const { signal, dispose } = deadline(this.timeoutMs, this.closing.signal);
    const where = `${method} ${this.base}${path}`;
    let res: Response;
    let text: string;
    try {
      res = await this.doFetch(this.base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal });
      text = await res.text();
    } catch (err) {
      if (this.closing.signal.aborted) throw new ClientClosedError();
      if (signal.aborted) throw new StoreUnavailableError(`the qworker admin API did not answer ${where} within ${this.timeoutMs} ms`, { cause: err });
      const reason = (err as Error)?.message ?? String(err);
      throw new StoreUnavailableError(`cannot reach the qworker admin API at ${this.base} (${reason}); is \`qworker run\` up, and is the url right?`, { cause: err });
    } finally {
      dispose();
    }
    let parsed: unknown;
    try {
      parsed = text === "" ? undefined : JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    if (!res.ok) throw errorFromReply(res.status, parsed, text);
    if (parsed === undefined) throw errorFromReply(502, undefined, `${where} answered ${res.status} without JSON: ${text.slice(0, 200)}`);
    const checked = wire.safeParse(parsed);
    if (!checked.success) {
      const first = checked.error.issues[0];
      throw new RemoteError(
        502,
        "unexpected_reply",
        `${where} answered with an unexpected shape (${first.path.join(".") || "reply"}: ${first.message}); are the server and this client the same qworker version?`,
      );
    }
    return checked.data;
  }
}

function seg(value: string): string {
  return encodeURIComponent(value);
}

/** A signal that aborts after `ms` or when `parent` aborts; call `dispose` when done. (AbortSignal.any needs Node 20.3.) */
function deadline(ms: number, parent: AbortSignal): { signal: AbortSignal; dispose: () => void } {
  const ctl = new AbortController();
  const onParent = () => ctl.abort(parent.reason);
  parent.addEventListener("abort", onParent, { once: true });
  const timer = setTimeout(() => ctl.abort(new Error(`timed out after ${ms} ms`)), ms);
  return {
    signal: ctl.signal,
    dispose: () => {
      clearTimeout(timer);
      parent.removeEventListener("abort", onParent);
    },
  };
}
