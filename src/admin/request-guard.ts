/**
 * The admin API's front door. Every request passes `admit` before the
 * router sees it, and everything is refused unless it is allowed:
 *
 * 1. The Host header must be well formed (else 400, before any URL is
 *    built from it) and name this server: a loopback name, the bound
 *    address, one of this host's addresses when bound to a wildcard, or a
 *    configured `admin.allowedHosts` name (else 403: DNS rebinding).
 * 2. The path must be canonical: no repeated slashes, no percent-encoded
 *    letters, digits or slashes, no trailing slash, no characters outside
 *    the route alphabet (else 400). Bun resolves `.` and `..` segments and
 *    backslashes itself before we see the path, which is a canonical form
 *    too. Routing and every check below use this one spelling.
 * 3. Only the short PUBLIC list skips the rest. Every other route, any
 *    route added later included, is refused to browsers of another site
 *    (foreign or `null` Origin, Sec-Fetch-Site other than same-origin/none),
 *    needs the token when one is set, and, when it changes state, a JSON
 *    content type (a browser cannot send that cross-site without a CORS
 *    preflight, which this server never grants).
 * 4. With `readOnly`, every state change is refused (403) even with the
 *    token: the dashboard and API then serve reads only.
 */

import { timingSafeEqual } from "node:crypto";
import { UnauthorizedError } from "../core/errors.ts";
import { HttpError } from "./http-errors.ts";

/**
 * Reachable without a token or browser checks: they show no job data and
 * change nothing (the dashboard page and its two static assets, and the
 * health check). Listed one by one: a route is never public by accident.
 */
const PUBLIC = new Set(["GET /", "GET /ui/app.js", "GET /ui/app.css", "GET /health"]);

export interface Admitted {
  /** The canonical path the router matches. */
  path: string;
  query: URLSearchParams;
  public: boolean;
}

export interface GuardOptions {
  /** SHA-256 of the token; undefined when the API is open (loopback only). */
  tokenDigest?: Buffer;
  digest(text: string): Buffer;
  /** Is this hostname (lower case, no port, no brackets) one this server answers to? */
  hostAllowed(hostname: string): boolean;
  /** `GET /metrics` is public when configured so (Prometheus scrapers often carry no token). */
  publicMetrics?: boolean;
  /** admin.readOnly: every state change is refused with 403, whoever asks. */
  readOnly?: boolean;
}

const HOST = /^(?:\[([0-9a-f:.]+)\]|([a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?))(?::(\d{1,5}))?$/i;
const SEGMENT = /^[A-Za-z0-9_.:~-]+$/;
/** Percent-escapes of characters that have a plain spelling in a path (letters, digits, -._~) or split it (/ \). */
const NEEDLESS_ESCAPE = /%(?:[46][1-9a-f]|[57][0-9a]|3[0-9]|2[def]|5[cf]|7e)/i;
const STATE_CHANGING = new Set(["POST", "PUT", "PATCH", "DELETE"]);

/** Throws HttpError (400, 401, 403, 415) unless the request may reach the router. */
export function admit(req: Request, opts: GuardOptions): Admitted {
  const hostname = checkHost(req.headers.get("host"));
  if (!opts.hostAllowed(hostname)) {
    throw new HttpError(
      403,
      "forbidden",
      `Host "${hostname}" is not a name of this server; call it by 127.0.0.1 or localhost, or add the name to admin.allowedHosts`,
    );
  }
  const { path, query } = splitTarget(req.url);
  checkCanonical(path);
  const method = req.method === "HEAD" ? "GET" : req.method;
  const isPublic = PUBLIC.has(`${method} ${path}`) || (opts.publicMetrics === true && method === "GET" && path === "/metrics");
  if (!isPublic) {
    refuseOtherSites(req);
    authorize(req, opts);
    if (STATE_CHANGING.has(req.method)) {
      if (opts.readOnly) throw new HttpError(403, "read_only", `this admin API is read-only (admin.readOnly): ${req.method} ${path} is refused; reads still work`);
      requireJson(req);
    }
  }
  return { path, query, public: isPublic };
}

/** The hostname of a well-formed Host header, lower case, without port or brackets. */
function checkHost(header: string | null): string {
  if (header === null || header === "") throw badRequest("the request has no Host header");
  const m = HOST.exec(header);
  const port = m?.[3] === undefined ? 0 : Number(m[3]);
  if (!m || port > 65_535) throw badRequest("the Host header is malformed");
  return (m[1] ?? m[2]).toLowerCase();
}

/** Path and query of the request target, without trusting it to be a URL. */
function splitTarget(target: string): { path: string; query: URLSearchParams } {
  // Bun gives "http://host/path?q" for a valid Host; anything else is refused above or here.
  const rest = target.startsWith("/") ? target : target.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i, "");
  if (!rest.startsWith("/")) throw badRequest("the request target is not a path");
  const hash = rest.indexOf("#");
  const noHash = hash >= 0 ? rest.slice(0, hash) : rest;
  const q = noHash.indexOf("?");
  return { path: q >= 0 ? noHash.slice(0, q) : noHash, query: new URLSearchParams(q >= 0 ? noHash.slice(q + 1) : "") };
}

function checkCanonical(path: string): void {
  if (path === "/") return;
  const why = nonCanonical(path);
  if (why) throw new HttpError(400, "non_canonical_path", `path "${path.slice(0, 200)}" is not canonical (${why}); spell it without it`);
}

function nonCanonical(path: string): string | undefined {
  if (path.endsWith("/")) return "a trailing slash";
  if (path.includes("//")) return "repeated slashes";
  if (NEEDLESS_ESCAPE.test(path)) return "a percent-encoded letter, digit or slash";
  for (const segment of path.slice(1).split("/")) {
    if (segment === "." || segment === "..") return "a dot segment";
    const plain = decodeOrUndefined(segment);
    if (plain === undefined) return "invalid percent-encoding";
    if (!SEGMENT.test(plain)) return "characters outside A-Z a-z 0-9 _ . : ~ -";
  }
  return undefined;
}

function decodeOrUndefined(segment: string): string | undefined {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
}

/**
 * The API sends no CORS headers, so a page of another site cannot read it,
 * but a browser still sends "simple" requests (a form, a no-cors fetch).
 * Those carry an Origin or Sec-Fetch-Site that gives them away.
 */
function refuseOtherSites(req: Request): void {
  const site = req.headers.get("sec-fetch-site");
  if (site !== null && site !== "same-origin" && site !== "none") throw forbiddenBrowser(`Sec-Fetch-Site: ${site}`);
  const origin = req.headers.get("origin");
  if (origin === null) return;
  const host = req.headers.get("host")!.toLowerCase();
  if (origin === "null" || originHost(origin) !== host) throw forbiddenBrowser(`Origin: ${origin.slice(0, 100)}`);
}

function originHost(origin: string): string | undefined {
  const m = /^https?:\/\/([^/?#]+)$/i.exec(origin);
  return m ? m[1].toLowerCase() : undefined;
}

function authorize(req: Request, opts: GuardOptions): void {
  if (!opts.tokenDigest) return;
  const header = req.headers.get("authorization");
  const m = header ? /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header) : null;
  if (!m) throw unauthorized("this server requires a token: send Authorization: Bearer <token>");
  // Compare digests: equal length whatever was sent, and constant time.
  if (!timingSafeEqual(opts.digest(m[1]), opts.tokenDigest)) throw unauthorized("the bearer token is wrong");
}

function requireJson(req: Request): void {
  const type = req.headers.get("content-type");
  if (type !== null && /^application\/json\s*(;|$)/i.test(type)) return;
  throw new HttpError(
    415,
    "unsupported_media_type",
    `${req.method} requests need Content-Type: application/json (got ${type === null ? "none" : `"${type.slice(0, 100)}"`})`,
  );
}

function forbiddenBrowser(what: string): HttpError {
  return new HttpError(403, "forbidden", `requests from another site are refused (${what}); call the admin API from a server, the CLI or the dashboard`);
}

function badRequest(message: string): HttpError {
  return new HttpError(400, "bad_request", message);
}

/** Same code and status as core's UnauthorizedError, plus the challenge header RFC 6750 asks for. */
function unauthorized(message: string): HttpError {
  return new HttpError(401, new UnauthorizedError(message).code, message, { "www-authenticate": 'Bearer realm="qworker"' });
}
