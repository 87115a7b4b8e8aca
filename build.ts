/**
 * `npm run build`: compiles the single-file binary `dist/qworker` (job
 * modules load beside it with no node_modules, the git commit baked in for
 * `--version`), writes the config's JSON Schema for editors
 * (`config/qworker.schema.json`) and the systemd units
 * (`config/qworker.service`, `config/qworker@.service`), and, with `--client`,
 * the typed client for Node and Bun apps (`dist/client`, what `npm pack`
 * ships). Run with Bun.
 */

import { spawnSync } from "node:child_process";
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { bundleDashboard } from "./src/admin/ui-bundle.ts";
import { configJsonSchema } from "./src/config/schema.ts";
import { shippedUnits } from "./src/systemd/unit.ts";

const started = performance.now();
mkdirSync("dist", { recursive: true });

writeFileSync("config/qworker.schema.json", JSON.stringify(configJsonSchema(), null, 2) + "\n");
for (const unit of shippedUnits()) writeFileSync(join("config", unit.file), unit.text);

// The dashboard's browser code, bundled once and baked in as text (src/admin/dashboard.ts serves it).
const dashboardJs = await bundleDashboard();

const result = await Bun.build({
  entrypoints: ["./src/main.ts"],
  compile: { outfile: "./dist/qworker" },
  minify: { syntax: true, whitespace: true },
  sourcemap: "linked",
  target: "bun",
  define: { QWORKER_COMMIT: JSON.stringify(buildCommit()), QWORKER_DASHBOARD_JS: JSON.stringify(dashboardJs) },
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built dist/qworker in ${Math.round(performance.now() - started)} ms (dashboard script ${(dashboardJs.length / 1024).toFixed(1)} KiB)`);

if (process.argv.includes("--client")) await buildClient();

/** ESM for Node >= 20 and Bun; dependencies stay external (installed with the package). */
async function buildClient(): Promise<void> {
  rmSync("dist/client", { recursive: true, force: true });
  const bundle = await Bun.build({ entrypoints: ["./src/client.ts"], outdir: "dist/client", target: "node", format: "esm", splitting: true, packages: "external" });
  if (!bundle.success) {
    for (const log of bundle.logs) console.error(log);
    process.exit(1);
  }
  const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.client.json"], { stdio: "inherit" });
  if (tsc.status !== 0) process.exit(1);
  // Declarations keep the sources' ".ts" specifiers; consumers resolve ".js" to the ".d.ts" beside it.
  for (const file of walk("dist/client").filter((f) => f.endsWith(".d.ts"))) {
    writeFileSync(file, readFileSync(file, "utf8").replace(/(from\s+["'](?:\.{1,2}\/)[^"']*?)\.ts(["'])/g, "$1.js$2"));
  }
  console.log("built dist/client (Node/Bun client and its types)");
}

/** The short hash of HEAD, "-dirty" when tracked files differ from it; "unknown" outside git. */
function buildCommit(): string {
  const head = spawnSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" });
  if (head.status !== 0) return "unknown";
  const dirty = spawnSync("git", ["diff", "--quiet", "HEAD", "--"]).status !== 0;
  return head.stdout.trim() + (dirty ? "-dirty" : "");
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}
