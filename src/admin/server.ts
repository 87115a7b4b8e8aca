/**
 * The admin HTTP server (DESIGN §5) on Bun.serve. It owns:
 * 1. where it listens: loopback by default, and never a public address
 *    without a token (ConfigError, exit 2);
 * 2. who may call `/api`: the bearer token (constant-time compare), and no
 *    browser page from another origin (no CORS, and cross-site or DNS-
 *    rebound requests are refused, since a form POST needs no CORS);
 * 3. turning every thrown error into `{ "error": { code, message } }`.
 * The routes themselves are in routes.ts.
 */

import { createHash, timingSafeEqual } from "node:crypto";
import type { Operations } from "../app/operations.ts";
import { ConfigError, NotFoundError, UnauthorizedError, toError } from "../core/errors.ts";
import { silentLogger, type Logger } from "../core/logger.ts";
import { TypedEmitter, type Service } from "../core/service.ts";
import { DEFAULT_MAX_BODY_BYTES } from "./body.ts";
import { HttpError, responseForError } from "./http-errors.ts";
import { matchRoute, type HealthCheck, type RouteDeps, type SchedulesApi } from "./routes.ts";

export type { HealthCheck, HealthReport, SchedulesApi } from "./routes.ts";

export const DEFAULT_ADMIN_HOST = "127.0.0.1";
export const DEFAULT_ADMIN_PORT = 7420;
const STOP_GRACE_MS = 2_000;

export interface AdminServerParams {
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
  /** Default: ping the store of `ops`. */
  health?: HealthCheck;
  /** Undefined when this process runs no scheduler: the schedule routes answer 404. */
  schedules?: SchedulesApi;
}

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
    this.deps = {
      ops: params.ops,
      schedules: params.schedules,
      health: params.health ?? storeHealth(params.ops),
      maxBodyBytes,
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
    const url = new URL(req.url);
    let res: Response;
    try {
      res = await this.dispatch(req, url);
    } catch (err) {
      res = responseForError(err, this.log, { method: req.method, path: url.pathname });
    }
    const ms = Math.round((performance.now() - started) * 10) / 10;
    this.log.debug("admin request", { method: req.method, path: url.pathname, status: res.status, ms });
    this.events.emit("request", { method: req.method, path: url.pathname, status: res.status, ms });
    return res;
  }

  private async dispatch(req: Request, url: URL): Promise<Response> {
    const path = url.pathname;
    if (path === "/api" || path.startsWith("/api/")) {
      this.refuseBrowsers(req, url);
      this.authorize(req);
    }
    const match = matchRoute(req.method, path);
    if (match.kind === "none") throw new NotFoundError(`no route ${req.method} ${path}; the API lives under /api (queues, jobs, workers, schedules)`);
    if (match.kind === "wrong_method") {
      const allow = match.allowed.join(", ");
      throw new HttpError(405, "method_not_allowed", `${req.method} is not allowed on ${path}; use ${allow}`, { allow });
    }
    return match.handle({ req, url, params: match.params, deps: this.deps });
  }

  private authorize(req: Request): void {
    if (!this.tokenDigest) return;
    const header = req.headers.get("authorization");
    const m = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
    if (!m) throw unauthorized("this server requires a token: send Authorization: Bearer <token>");
    // Compare digests: equal length whatever was sent, and constant time.
    if (!timingSafeEqual(digest(m[1]), this.tokenDigest)) throw unauthorized("the bearer token is wrong");
  }

  /**
   * The API sends no CORS headers, so browsers cannot read it cross-origin,
   * but they still send "simple" POSTs (a form, a text/plain fetch). Refuse
   * any request a browser marks as coming from another site, and without a
   * token refuse a Host that is not loopback (DNS rebinding).
   */
  private refuseBrowsers(req: Request, url: URL): void {
    const site = req.headers.get("sec-fetch-site");
    const origin = req.headers.get("origin");
    const crossSite = site === "cross-site" || site === "same-site" || (origin !== null && originHost(origin) !== url.host);
    if (crossSite) throw new HttpError(403, "forbidden", "cross-origin requests are refused; call the admin API from a server or the CLI, not from a web page");
    if (!this.tokenDigest && !isLoopbackHost(url.hostname)) {
      throw new HttpError(403, "forbidden", `Host "${url.host}" is not loopback; without a token this server only answers requests addressed to 127.0.0.1 or localhost`);
    }
  }
}

/** The default health check: the store answers a ping. */
export function storeHealth(ops: Operations): HealthCheck {
  return async () => {
    const store = { backend: ops.store.kind, durable: ops.store.durable };
    try {
      await ops.store.ping();
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

function originHost(origin: string): string | undefined {
  try {
    return new URL(origin).host;
  } catch {
    return undefined; // "null" (sandboxed page, file://): never our own origin
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text).digest();
}

/** Same code and status as core's UnauthorizedError, plus the challenge header RFC 6750 asks for. */
function unauthorized(message: string): HttpError {
  return new HttpError(401, new UnauthorizedError(message).code, message, { "www-authenticate": 'Bearer realm="qworker"' });
}
