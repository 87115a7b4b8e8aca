/**
 * `GET /` and its two assets, `/ui/app.js` and `/ui/app.css`: the dashboard,
 * bundled into the binary (no CDN, works offline). They hold no data, so
 * they are public; everything the page shows comes from /api with the
 * token. The page gets a strict Content-Security-Policy of its own: scripts
 * and styles from this origin only (no inline script or style), requests
 * to this origin only, no framing.
 */

import pageText from "./ui/index.html" with { type: "text" };
import css from "./ui/app.css" with { type: "text" };
import { bundleDashboard } from "./ui-bundle.ts";

/** Baked in by build.ts; undeclared when running from source. */
declare const QWORKER_DASHBOARD_JS: string | undefined;

/** The asset paths the page loads: public in the guard, routes in routes.ts. */
export const DASHBOARD_ASSETS = ["/ui/app.js", "/ui/app.css"] as const;

const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

// bun-types declares every *.html import as an HTML bundle; with `type: "text"` it is the file's text.
const page = pageText as unknown as string;

let script: Promise<string> | undefined;

function dashboardScript(): Promise<string> {
  script ??=
    typeof QWORKER_DASHBOARD_JS === "string"
      ? Promise.resolve(QWORKER_DASHBOARD_JS)
      : bundleDashboard().catch((err) => {
          script = undefined; // an edit that fixes the source is picked up by the next request
          throw err;
        });
  return script;
}

export function dashboardResponse(readOnly = false): Response {
  return new Response(page.replace("__READ_ONLY__", readOnly ? "true" : "false"), {
    headers: { "content-type": "text/html; charset=utf-8", "content-security-policy": PAGE_CSP, "cache-control": "no-cache" },
  });
}

export async function dashboardAsset(path: (typeof DASHBOARD_ASSETS)[number]): Promise<Response> {
  if (path === "/ui/app.css") return new Response(css, { headers: { "content-type": "text/css; charset=utf-8", "cache-control": "no-cache" } });
  return new Response(await dashboardScript(), { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "no-cache" } });
}
