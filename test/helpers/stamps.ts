/**
 * Reads what the `stamp` fixture job wrote: one "<job id> <epoch ms>" line
 * per run, one file per worker process. Tests count runs, and runs that
 * started after a moment, from it.
 */

import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";

export interface Stamp {
  id: string;
  at: number;
}

export function readStamps(outDir: string): Stamp[] {
  const out: Stamp[] = [];
  for (const f of readdirSync(outDir)) {
    if (!f.startsWith("stamp-")) continue;
    for (const line of readFileSync(join(outDir, f), "utf8").split("\n")) {
      const [id, at] = line.split(" ");
      if (id && at) out.push({ id, at: Number(at) });
    }
  }
  return out;
}
