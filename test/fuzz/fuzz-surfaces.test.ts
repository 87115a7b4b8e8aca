/**
 * A share of the seeded fuzzing `bun bench/fuzz.ts` runs in full (issue
 * 17): the payload validator, the CLI's argument parsing, the config
 * loader and cron expressions. (The admin API's share is
 * test/admin/fuzz.test.ts.) Each input must get a clean answer: a value,
 * or a 4xx / exit 2 (3 for an unreachable store) refusal that changed
 * nothing; see surfaces.ts for exactly what is checked. A failure names
 * its seed and input number, so `bun bench/fuzz.ts --surface … --seed …`
 * replays it.
 */

import { expect, test } from "bun:test";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { runCliInProcess } from "./cli-runner.ts";
import { seeded } from "./random.ts";
import { cliSurface, configSurface, cronSurface, fuzz, payloadSurface, type Surface } from "./surfaces.ts";

const SHARE: [Surface<any>, number[], number][] = [
  [payloadSurface, [1, 2], 1_000],
  [cliSurface, [1], 150],
  [configSurface, [1, 2], 1_000],
  [cronSurface, [1, 2], 2_000],
];

for (const [surface, seeds, count] of SHARE) {
  for (const seed of seeds) {
    test(`${surface.name}, seed ${seed}: ${count} fuzzed inputs, each answered cleanly, and nothing written to the working directory`, async () => {
      // Fuzzed relative paths (`--db [1]`) once left SQLite files in the checkout.
      const before = readdirSync(process.cwd()).sort();
      expect(await fuzz(surface, seed, count, seeded)).toBe(count);
      expect(readdirSync(process.cwd()).sort()).toEqual(before);
    });
  }
}

test("the CLI surface resolves a fuzzed relative path in its throwaway folder, not in the working directory", async () => {
  const before = readdirSync(process.cwd()).sort();
  const ctx = await cliSurface.setup();
  try {
    const run = await runCliInProcess(["enqueue", "noop", "--backend", "sqlite", "--db", "relative.db", ...ctx.base]);
    expect(run.code).toBe(0);
    expect(existsSync(join(ctx.dir, "relative.db"))).toBe(true);
  } finally {
    await cliSurface.finish(ctx);
  }
  expect(readdirSync(process.cwd()).sort()).toEqual(before);
});
