/**
 * The client over the admin HTTP API (DESIGN §5), with the global `fetch`
 * of Bun and Node ≥ 20. The server validates payloads against the job
 * schemas; its error bodies come back as the typed errors (errors.ts). An
 * unreachable or silent server is StoreUnavailableError (CLI exit 3), as
 * the server is the store's only door for the memory backend.
 */

import { StoreUnavailableError } from "../core/errors.ts";
import type { EnqueueResult, JobRecord } from "../core/types.ts";
import { ClientClosedError, errorFromReply } from "./errors.ts";
import type { EnqueueBody, Transport } from "./transport.ts";

export interface HttpTransportOptions {
  /** Base URL of the admin API, e.g. `http://127.0.0.1:7420`. */
  url: string | URL;
  /** The server's admin token, sent as `Authorization: Bearer …`. */
  token?: string;
  /** Per request, default 30 s. */
  requestTimeoutMs?: number;
  /** Defaults to the global fetch (tests, proxies, instrumentation). */
  fetch?: typeof fetch;
}

export class HttpTransport implements Transport {
  private readonly base: string;
  private readonly timeoutMs: number;
  private readonly doFetch: typeof fetch;
  private readonly closing = new AbortController();

  constructor(private readonly opts: HttpTransportOptions) {
    const url = new URL(String(opts.url));
    if (url.protocol !== "http:" && url.protocol !== "https:") throw new TypeError(`QworkerClient url must be http:// or https://, got "${url.href}"`);
    this.base = url.href.replace(/\/+$/, "");
    this.timeoutMs = opts.requestTimeoutMs ?? 30_000;
    this.doFetch = opts.fetch ?? globalThis.fetch;
  }

  enqueue(requests: EnqueueBody[]): Promise<EnqueueResult[]> {
    return this.request<EnqueueResult[]>("POST", "/api/jobs", requests);
  }

  getJob(id: string): Promise<JobRecord> {
    return this.request("GET", `/api/jobs/${encodeURIComponent(id)}`);
  }

  cancel(id: string): Promise<JobRecord> {
    return this.request("POST", `/api/jobs/${encodeURIComponent(id)}/cancel`);
  }

  retry(id: string): Promise<JobRecord> {
    return this.request("POST", `/api/jobs/${encodeURIComponent(id)}/retry`);
  }

  async close(): Promise<void> {
    this.closing.abort(new ClientClosedError());
  }

  /**
   * One admin API call: `body` is sent as JSON, the JSON reply is returned,
   * an error reply rejects with its typed error. Also used by the CLI for
   * routes the client has no method for (listing, pause, status).
   */
  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    if (this.closing.signal.aborted) throw new ClientClosedError();
    const headers: Record<string, string> = { accept: "application/json" };
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    // The server accepts state changes only as JSON (its CSRF defence), body or not.
    if (body !== undefined || (method !== "GET" && method !== "HEAD")) headers["content-type"] = "application/json";
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
    return parsed as T;
  }
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
