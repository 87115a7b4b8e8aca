/**
 * Bundles the dashboard's browser code (ui/main.ts and what it imports)
 * into one minified ES module. build.ts runs this once and bakes the text
 * into the binary (Bun.build `define`); from source, the server runs it on
 * the first request for /ui/app.js. Either way nothing is fetched from a
 * CDN: the page works offline.
 */

import { join } from "node:path";

export async function bundleDashboard(): Promise<string> {
  const result = await Bun.build({
    entrypoints: [join(import.meta.dir, "ui", "main.ts")],
    target: "browser",
    format: "esm",
    minify: true,
  });
  if (!result.success) throw new AggregateError(result.logs, "the dashboard bundle failed to build");
  return result.outputs[0].text();
}
