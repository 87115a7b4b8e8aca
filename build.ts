/**
 * `npm run build`: compiles the single-file binary `dist/qworker` (job
 * modules load beside it with no node_modules, the git commit baked in for
 * `--version`), writes the config's JSON Schema for editors
 * (`config/qworker.schema.json`) and the systemd units
 * (`config/qworker.service`, `config/qworker@.service`), and, with `--client`,
 * the client package for Node and Bun apps (`dist/client-package`, what
 * `npm run pack:client` packs). Run with Bun.
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
  // The second entry is what every worker thread runs (thread mode, the event-loop watchdog): a Worker
  // can only be pointed at an entrypoint. Both sit under src/, the bundle's root, so the thread entry
  // ends up at /$bunfs/root/worker/executors/thread-entry.js (see src/core/entrypoints.ts).
  entrypoints: ["./src/main.ts", "./src/worker/executors/thread-entry.ts"],
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

/**
 * The client package an app installs (`dist/client-package`, packed by `npm
 * run pack:client`): ESM for Node >= 20 and Bun, with zod bundled in, so it
 * has no dependency of its own; ioredis stays external and is loaded only by
 * the direct-Redis mode (an optional peer). None of the server comes along.
 */
async function buildClient(): Promise<void> {
  const out = "dist/client-package";
  rmSync(out, { recursive: true, force: true });
  const bundle = await Bun.build({ entrypoints: ["./src/client.ts"], outdir: `${out}/dist`, naming: { entry: "index.js" }, target: "node", format: "esm", splitting: true, external: ["ioredis"], minify: true });
  if (!bundle.success) {
    for (const log of bundle.logs) console.error(log);
    process.exit(1);
  }
  const tsc = spawnSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.client.json"], { stdio: "inherit" });
  if (tsc.status !== 0) process.exit(1);
  // Declarations keep the sources' ".ts" specifiers; consumers resolve ".js" to the ".d.ts" beside it.
  for (const file of walk(`${out}/dist`).filter((f) => f.endsWith(".d.ts"))) {
    writeFileSync(file, readFileSync(file, "utf8").replace(/(from\s+["'](?:\.{1,2}\/)[^"']*?)\.ts(["'])/g, "$1.js$2"));
  }
  const root = JSON.parse(readFileSync("package.json", "utf8")) as { version: string; license: string; dependencies: Record<string, string> };
  const pkg = {
    name: "qworker-client",
    version: root.version,
    description: "Enqueue and follow qworker jobs from Node >= 20 or Bun: the client only, no server.",
    license: root.license,
    type: "module",
    main: "./dist/index.js",
    types: "./dist/client.d.ts",
    exports: { ".": { types: "./dist/client.d.ts", default: "./dist/index.js" }, "./package.json": "./package.json" },
    files: ["dist/", "README.md"],
    engines: { node: ">=20" },
    peerDependencies: { ioredis: root.dependencies.ioredis },
    peerDependenciesMeta: { ioredis: { optional: true } },
  };
  writeFileSync(`${out}/package.json`, JSON.stringify(pkg, null, 2) + "\n");
  writeFileSync(`${out}/README.md`, readFileSync("packages/client/README.md", "utf8"));
  console.log(`built ${out} (the qworker-client package: npm run pack:client packs it)`);
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
