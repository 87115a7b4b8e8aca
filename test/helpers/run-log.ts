/**
 * Reads what the `record` fixture job wrote: one "<job id>" line per run,
 * in one file per worker process. Tests count runs per id from it.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export function runsById(outDir: string): Map<string, number> {
  const runs = new Map<string, number>();
  for (const f of readdirSync(outDir)) {
    if (!f.endsWith(".log")) continue;
    for (const id of readFileSync(join(outDir, f), "utf8").split("\n")) {
      if (id) runs.set(id, (runs.get(id) ?? 0) + 1);
    }
  }
  return runs;
}

export function totalRuns(outDir: string): number {
  let n = 0;
  for (const c of runsById(outDir).values()) n += c;
  return n;
}
