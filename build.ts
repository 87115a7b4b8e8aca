/**
 * `npm run build`: compiles the single-file binary `dist/qworker` (job
 * modules load beside it with no node_modules) and writes the config's JSON
 * Schema for editors (`config/qworker.schema.json`). Run with Bun.
 */

import { writeFileSync, mkdirSync } from "node:fs";
import { configJsonSchema } from "./src/config/schema.ts";

const started = performance.now();
mkdirSync("dist", { recursive: true });

writeFileSync("config/qworker.schema.json", JSON.stringify(configJsonSchema(), null, 2) + "\n");

const result = await Bun.build({
  entrypoints: ["./src/main.ts"],
  compile: { outfile: "./dist/qworker" },
  minify: { syntax: true, whitespace: true },
  sourcemap: "linked",
  target: "bun",
});
if (!result.success) {
  for (const log of result.logs) console.error(log);
  process.exit(1);
}
console.log(`built dist/qworker in ${Math.round(performance.now() - started)} ms`);
