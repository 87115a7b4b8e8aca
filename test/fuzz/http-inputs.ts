/**
 * Generates hostile admin API requests from a seed: methods, request
 * targets (route paths with odd spellings, random segments and escapes),
 * Host values, browser and auth headers, and bodies (odd JSON, deep
 * nesting, garbage). Used by the suite (a small share) and by
 * `bench/fuzz.ts` (the whole set).
 */

import { routeTable } from "../../src/admin/routes.ts";
import type { RawRequest } from "../helpers/raw-http.ts";
import type { Rng } from "./random.ts";

export interface FuzzContext {
  port: number;
  token: string;
  jobId: string;
}

const METHODS = ["GET", "POST", "DELETE", "PUT", "PATCH", "OPTIONS", "HEAD", "TRACE", "GETT", "post"];
const SEGMENTS = ["api", "jobs", "queues", "workers", "schedules", "health", "metrics", "retry", "cancel", "pause", "resume", "..", ".", "", "%2e%2e", "%2f", "%00", "%ff", "\u00e9", "a".repeat(300), "default", "nightly"];

/** `mayPass`: whether a 2xx is allowed at all: a known Host, and a public page or the right token from no foreign site. */
export function fuzzRequest(rng: Rng, ctx: FuzzContext): { req: RawRequest; mayPass: boolean } {
  const routes = routeTable();
  const route = rng.pick(routes);
  const base = route.pattern.replace(":id", rng.chance(0.7) ? ctx.jobId : rng.pick(["nope", "cron:x:1", "%3A", "0".repeat(36)])).replace(":queue", rng.pick(["default", "low", "nope"])).replace(":name", rng.pick(["nightly", "nope"]));
  const target = rng.chance(0.6) ? mutate(rng, base) : base;
  const method = rng.chance(0.8) ? route.method : rng.pick(METHODS);
  const [host, hostOk] = pickHost(rng, ctx.port);
  const headers: [string, string][] = [];
  if (host !== undefined) headers.push(["host", host]);
  const [auth, authOk] = pickAuth(rng, ctx.token);
  if (auth) headers.push(["authorization", auth]);
  let browserOk = true;
  if (rng.chance(0.3)) {
    const origin = rng.pick(["null", "http://evil.example", `http://127.0.0.1:${ctx.port}`, "file://", "http://localhost", "javascript:1"]);
    headers.push(["origin", origin]);
    browserOk &&= origin === `http://127.0.0.1:${ctx.port}` && host === `127.0.0.1:${ctx.port}`;
  }
  if (rng.chance(0.2)) {
    const site = rng.pick(["cross-site", "same-site", "same-origin", "none", "bogus"]);
    headers.push(["sec-fetch-site", site]);
    browserOk &&= site === "same-origin" || site === "none";
  }
  const type = rng.pick(["application/json", "application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded", "", "APPLICATION/JSON"]);
  if (type) headers.push(["content-type", type]);
  const body = method === "GET" || method === "HEAD" || rng.chance(0.1) ? undefined : pickBody(rng);
  return {
    req: { method, target, headers, body, version: host === undefined ? "HTTP/1.0" : "HTTP/1.1" },
    mayPass: hostOk && (isPublic(method, target) || (authOk && browserOk)),
  };
}

/** Public after the dot-segment resolution Bun applies before the server sees the path. */
function isPublic(method: string, target: string): boolean {
  if (method !== "GET" && method !== "HEAD") return false;
  let path: string;
  try {
    path = new URL("http://x" + target).pathname;
  } catch {
    return false;
  }
  return path === "/" || path === "/health" || path === "/ui/app.js" || path === "/ui/app.css";
}

function mutate(rng: Rng, path: string): string {
  switch (rng.int(8)) {
    case 0:
      return "/" + path;
    case 1:
      return path + "/";
    case 2:
      return path.replace(/\/(\w)/, (_, c: string) => `/%${c.charCodeAt(0).toString(16)}`);
    case 3:
      return path.toUpperCase();
    case 4:
      return path.replace("/", rng.pick(["/./", "//", "/x/../", "%2f", "/%2e/"]));
    case 5:
      return "/" + Array.from({ length: 1 + rng.int(5) }, () => encodeURI(rng.pick(SEGMENTS))).join("/");
    case 6:
      return path + "?" + rng.pick(["limit=0", "limit=99999", "state=bogus", "cursor=%%%", "a=" + "b".repeat(5000), "state=&queue="]);
    default:
      return path.replace(/[a-z]/, "%" + rng.int(256).toString(16).padStart(2, "0"));
  }
}

function pickHost(rng: Rng, port: number): [string | undefined, boolean] {
  const good = `127.0.0.1:${port}`;
  if (rng.chance(0.6)) return [good, true];
  const host = rng.pick([undefined, "", "a b", "localhost:99999", "rebind.example", `rebind.example:${port}`, `localhost:${port}`, "[::1]", "[zz]", "a/b", "127.0.0.1:", "-x-", "x".repeat(300)]);
  return [host, host === `localhost:${port}` || host === "[::1]"];
}

function pickAuth(rng: Rng, token: string): [string | undefined, boolean] {
  if (rng.chance(0.5)) return [`Bearer ${token}`, true];
  const auth = rng.pick([undefined, "Bearer", "Bearer wrong", `bearer ${token}`, `Basic ${token}`, `Bearer ${token}x`, `Bearer  ${token} `]);
  return [auth, auth === `bearer ${token}` || auth === `Bearer  ${token} `];
}

function pickBody(rng: Rng): string {
  switch (rng.int(7)) {
    case 0:
      return JSON.stringify({ name: rng.pick(["noop", "send-email", "nope", ""]), data: rng.pick([{}, { to: "a@b.co", subject: "x" }, null, [], "x"]) });
    case 1:
      return "[".repeat(rng.int(5000)) + "]".repeat(rng.int(5000));
    case 2:
      return JSON.stringify([{ name: "noop" }, { name: "noop", in: rng.pick([-1, 1e300, "x", 5]) }]);
    case 3:
      return String.fromCharCode(...Array.from({ length: rng.int(200) }, () => rng.int(256)));
    case 4:
      return JSON.stringify({ name: "noop", at: rng.pick(["99999999999999999999", "garbage", 0, -5]) });
    case 5:
      return "";
    default:
      return JSON.stringify({ name: "noop", data: { s: "\u0000\u001b".repeat(rng.int(50)) }, extra: true });
  }
}
