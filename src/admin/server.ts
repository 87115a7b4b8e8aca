/**
 * The admin HTTP server (DESIGN §5) on Bun.serve. It owns:
 * 1. where it listens: loopback by default, and never a public address
 *    without a token (ConfigError, exit 2);
 * 2. that every request passes the guard (request-guard.ts) before the
 *    router: canonical path, Host, browser and token checks, deny by default;
 * 3. turning every thrown error into `{ "error": { code, message } }`, and
 *    the security headers every response carries.
 * The routes themselves are in routes.ts.
 */

import { createHash } from "node:crypto";
import { hostname as osHostname, networkInterfaces } from "node:os";
import { QworkerMetrics } from "../metrics/qworker-metrics.ts";
import type { Operations } from "../ops/operations.ts";
import { StatusCache } from "../ops/status-cache.ts";
import type { Store } from "../store/store.ts";
import { ConfigError, NotFoundError, toError } from "../core/errors.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import { TypedEmitter, type Service } from "../core/service.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import { HttpError, responseForError } from "./http-errors.ts";
import { LiveFeed } from "./live-feed.ts";
import { admit, type GuardOptions } from "./request-guard.ts";
import { matchRoute, type HealthCheck, type RouteDeps } from "./routes.ts";

export type { HealthCheck, HealthReport } from "./routes.ts";

export const DEFAULT_ADMIN_HOST = "127.0.0.1";
export const DEFAULT_ADMIN_PORT = 7420;
const STOP_GRACE_MS = 2_000;

export interface AdminServerParams {
  /** What the routes serve: every role serves every read. */
  ops: Operations;
  /** Default 127.0.0.1. Anything but loopback requires `token`. */
  host?: string;
  /** Default 7420; 0 picks a free port (read it back from `port`). */
  port?: number;
  /** When set, every `/api` call needs `Authorization: Bearer <token>`. */
  token?: string;
  /** Default 1 MiB; larger bodies get 413 without being buffered. */
  maxBodyBytes?: number;
  log?: Logger;
  /** What /health reports; default: healthy. */
  health?: HealthCheck;
  /** Host names (besides loopback and the bound address) that clients may use to reach this server. */
  allowedHosts?: string[];
  /** What GET /metrics counts; default: a fresh set with the store gauges only. */
  metrics?: QworkerMetrics;
  /** GET /metrics without the token (admin.publicMetrics). */
  publicMetrics?: boolean;
  /** Reads only: every state change is 403 (admin.readOnly). */
  readOnly?: boolean;
  /** How often the live feed looks for changes; default 1 s. */
  feedIntervalMs?: number;
  /** Requests being answered at once, past which more get 503 (/health is always answered); default 256. */
  maxRequests?: number;
  /** A request not answered within this gets 503 (the work it started may still finish); default 30 s. */
  requestTimeoutMs?: number;
  /** A connection idle this long is closed (slow or stalled clients); default 10 s, at most 255 s. */
  idleTimeoutMs?: number;
}

export const DEFAULT_ADMIN_MAX_REQUESTS = 256;
export const DEFAULT_ADMIN_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_ADMIN_IDLE_TIMEOUT_MS = 10_000;

export interface AdminServerEvents extends Record<string, unknown> {
  listening: { url: string };
  /** After each response is built; tests await this instead of sleeping. */
  request: { method: string; path: string; status: number; ms: number };
}

export class AdminServer implements Service {
  readonly events = new TypedEmitter<AdminServerEvents>();
  private server?: ReturnType<typeof Bun.serve>;
  private readonly host: string;
  private readonly wantedPort: number;
  private readonly tokenDigest?: Buffer;
  private readonly log: Logger;
  private readonly deps: RouteDeps;
  private readonly guard: GuardOptions;
  private readonly feed: LiveFeed;
  /** Malformed requests are logged at most once a minute: any local client could flood the log. */
  private lastRefusalLog = Number.NEGATIVE_INFINITY;
  private inFlight = 0;
  private readonly maxRequests: number;
  private readonly requestTimeoutMs: number;
  private readonly idleTimeoutMs: number;

  constructor(params: AdminServerParams) {
    this.host = params.host ?? DEFAULT_ADMIN_HOST;
    this.wantedPort = params.port ?? DEFAULT_ADMIN_PORT;
    if (params.token !== undefined) {
      if (params.token.trim() === "") throw new ConfigError("admin token is empty; set admin.token / QWORKER_ADMIN_TOKEN to a secret of 16+ characters, or leave it unset");
      this.tokenDigest = digest(params.token);
    }
    const maxBodyBytes = params.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1) throw new ConfigError(`admin maxBodyBytes must be a whole number of bytes >= 1, got ${maxBodyBytes}`);
    this.log = params.log ?? silentLogger;
    this.maxRequests = params.maxRequests ?? DEFAULT_ADMIN_MAX_REQUESTS;
    this.requestTimeoutMs = params.requestTimeoutMs ?? DEFAULT_ADMIN_REQUEST_TIMEOUT_MS;
    this.idleTimeoutMs = Math.min(255_000, params.idleTimeoutMs ?? DEFAULT_ADMIN_IDLE_TIMEOUT_MS);
    // One status read shared by scrapes, live streams and polling dashboards.
    const status = new StatusCache(params.ops);
    const metrics = params.metrics ?? new QworkerMetrics();
    this.feed = new LiveFeed(status, params.feedIntervalMs);
    this.deps = {
      ops: params.ops,
      health: params.health ?? (async () => ({ ok: true, details: {} })),
      maxBodyBytes,
      metrics: () => metrics.render(status),
      feed: this.feed,
      status,
      readOnly: params.readOnly === true,
    };
    this.guard = {
      tokenDigest: this.tokenDigest,
      digest,
      hostAllowed: hostMatcher(this.host, params.allowedHosts ?? []),
      publicMetrics: params.publicMetrics === true,
      readOnly: params.readOnly === true,
    };
  }

  /** `http://host:port`, without a trailing slash. Only while started. */
  get url(): string {
    return this.running().url.href.replace(/\/$/, "");
  }

  get port(): number {
    return this.running().port ?? this.wantedPort;
  }

  /** Resolves once listening. Throws ConfigError for a public bind without a token or a port in use. */
  async start(): Promise<void> {
    if (this.server) return;
    if (!this.tokenDigest && !isLoopbackHost(this.host)) {
      throw new ConfigError(
        `admin API: refusing to listen on ${this.host} without a token, since anyone who can reach it could enqueue, cancel and delete jobs; ` +
          `set admin.token / QWORKER_ADMIN_TOKEN (16+ characters) or bind to 127.0.0.1`,
      );
    }
    try {
      this.server = Bun.serve({
        hostname: this.host,
        port: this.wantedPort,
        development: false,
        // Explicit: with development off, Bun 1.4 otherwise sets SO_REUSEPORT, and a second
        // qworker on the same port would silently share it instead of failing with EADDRINUSE.
        reusePort: false,
        idleTimeout: Math.max(1, Math.round(this.idleTimeoutMs / 1000)),
        fetch: (req) => this.handle(req),
        error: (err) => responseForError(err, this.log, { method: "?", path: "?" }),
      });
    } catch (err) {
      throw new ConfigError(
        `admin API cannot listen on ${this.host}:${this.wantedPort}: ${toError(err).message}; is another qworker running? pick another --admin-port`,
        { cause: err },
      );
    }
    this.log.info("admin API listening", { url: this.url, auth: this.tokenDigest ? "token" : "none" });
    this.events.emit("listening", { url: this.url });
  }

  /** Lets in-flight requests finish for a moment, then closes every connection. Safe to call twice. */
  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    // Live streams never end on their own: close them first, or stop() would wait out its grace.
    await this.feed.close();
    let timer: ReturnType<typeof setTimeout> | undefined;
    const grace = new Promise<void>((resolve) => (timer = setTimeout(resolve, STOP_GRACE_MS)));
    await Promise.race([server.stop(false), grace]);
    clearTimeout(timer);
    await server.stop(true);
  }

  private running(): ReturnType<typeof Bun.serve> {
    if (!this.server) throw new Error("AdminServer is not started; await start() first");
    return this.server;
  }

  private async handle(req: Request): Promise<Response> {
    const started = performance.now();
    let path = "?";
    let res: Response;
    try {
      const admitted = admit(req, this.guard);
      path = admitted.path;
      res = await this.bounded(path, () => this.dispatch(req, admitted.path, admitted.query));
    } catch (err) {
      if (err instanceof HttpError && err.status === 400) this.noteRefusal(req, err);
      res = responseForError(err, this.log, { method: req.method, path });
    }
    withSecurityHeaders(res);
    const ms = Math.round((performance.now() - started) * 10) / 10;
    this.log.debug("admin request", { method: req.method, path, status: res.status, ms });
    this.events.emit("request", { method: req.method, path, status: res.status, ms });
    return res;
  }

  /**
   * Every request but /health counts against maxRequests and gets at most
   * requestTimeoutMs: a flood of slow calls is answered 503 at once rather
   * than queued, and /health (load balancers, systemd) is never behind it.
   */
  private async bounded(path: string, answer: () => Promise<Response>): Promise<Response> {
    if (path === "/health") return answer();
    if (this.inFlight >= this.maxRequests) {
      throw new HttpError(503, "unavailable", `the admin API is answering ${this.inFlight} requests already (admin.maxRequests); try again shortly`, { "retry-after": "1" });
    }
    this.inFlight++;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new HttpError(503, "unavailable", `no answer within ${this.requestTimeoutMs} ms (admin.requestTimeout); the store may be slow: see /health`)),
          this.requestTimeoutMs,
        );
      });
      return await Promise.race([answer(), late]);
    } finally {
      clearTimeout(timer);
      this.inFlight--;
    }
  }

  private async dispatch(req: Request, path: string, query: URLSearchParams): Promise<Response> {
    const match = matchRoute(req.method, path);
    if (match.kind === "none") throw new NotFoundError(`no route ${req.method} ${path}; the API lives under /api (queues, jobs, workers, schedules)`);
    if (match.kind === "wrong_method") {
      const allow = match.allowed.join(", ");
      throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${path}; use ${allow}`, { allow });
    }
    return match.handle({ req, path, query, params: match.params, deps: this.deps });
  }

  private noteRefusal(req: Request, err: HttpError): void {
    const now = performance.now();
    if (now - this.lastRefusalLog < 60_000) return;
    this.lastRefusalLog = now;
    this.log.warn("refused a malformed admin request (further ones are not logged for a minute)", { method: req.method.slice(0, 16), reason: err.message });
  }
}

/** Every response, errors included: no sniffing, no framing, no caching of job data, no scripts in JSON. */
function withSecurityHeaders(res: Response): void {
  const h = res.headers;
  h.set("x-content-type-options", "nosniff");
  h.set("x-frame-options", "DENY");
  h.set("referrer-policy", "no-referrer");
  if (!h.has("content-security-policy")) h.set("content-security-policy", "default-src 'none'; frame-ancestors 'none'");
  if (!h.has("cache-control")) h.set("cache-control", "no-store");
}

/**
 * The host names this server answers to: loopback names, the bound
 * address, this machine's addresses and name when bound to a wildcard, and
 * the configured ones. Anything else is a DNS-rebinding attempt or a typo.
 */
function hostMatcher(bound: string, configured: string[]): (hostname: string) => boolean {
  const names = new Set([bound, ...configured].map(bare));
  if (names.has("0.0.0.0") || names.has("::")) {
    names.add(osHostname().toLowerCase());
    for (const list of Object.values(networkInterfaces())) for (const ni of list ?? []) names.add(bare(ni.address));
  }
  return (hostname) => isLoopbackHost(hostname) || names.has(bare(hostname));
}

function bare(host: string): string {
  return host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
}

/** The store part of a health check: it answers a ping. */
export function storeHealth(s: Store): HealthCheck {
  return async () => {
    const store = { backend: s.kind, durable: s.durable };
    try {
      await s.ping();
      return { ok: true, details: { store: { ...store, reachable: true } } };
    } catch (err) {
      return { ok: false, details: { store: { ...store, reachable: false, error: toError(err).message } } };
    }
  };
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[(.*)\]$/, "$1").toLowerCase();
  return h === "localhost" || h.endsWith(".localhost") || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) || /^::ffff:127\./.test(h);
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}
