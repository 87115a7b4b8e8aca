/**
 * `bun bench/fuzz.ts`: the whole seeded fuzz of issue 17, 113,000 inputs
 * over five surfaces (the suite runs a share of each: test/fuzz/,
 * test/admin/fuzz.test.ts). Prints each surface's count, seeds and time,
 * and stops at the first input that did not get a clean answer, naming its
 * surface, seed and number so it can be replayed:
 *
 *   bun bench/fuzz.ts [--surface "CLI arguments"] [--seed 3] [--count 500]
 */

import { parseArgs } from "node:util";
import { seeded } from "../test/fuzz/random.ts";
import { adminSurface, cliSurface, configSurface, cronSurface, fuzz, payloadSurface, type Surface } from "../test/fuzz/surfaces.ts";

const PLAN: [Surface<any>, number[], number][] = [
  [adminSurface, [1, 2, 3, 4], 5_000],
  [payloadSurface, [1, 2, 3, 4], 10_000],
  [cliSurface, [1, 2, 3], 1_000],
  [configSurface, [1, 2, 3, 4], 5_000],
  [cronSurface, [1, 2, 3], 10_000],
];

const { values: args } = parseArgs({ args: Bun.argv.slice(2), options: { surface: { type: "string" }, seed: { type: "string" }, count: { type: "string" } }, strict: true });
const plan = PLAN.filter(([s]) => args.surface === undefined || s.name === args.surface).map(
  ([s, seeds, count]) => [s, args.seed ? [Number(args.seed)] : seeds, args.count ? Number(args.count) : count] as const,
);
if (plan.length === 0) throw new Error(`--surface must be one of: ${PLAN.map(([s]) => `"${s.name}"`).join(", ")}`);

let total = 0;
for (const [surface, seeds, count] of plan) {
  for (const seed of seeds) {
    const t0 = performance.now();
    try {
      total += await fuzz(surface, seed, count, seeded);
    } catch (err) {
      console.error(`FAILED: ${surface.name}, seed ${seed}: ${(err as Error).message}`);
      process.exit(1);
    }
    console.log(`${surface.name.padEnd(18)} seed ${seed}: ${count.toLocaleString("en-US")} inputs, all answered cleanly (${((performance.now() - t0) / 1000).toFixed(1)} s)`);
  }
}
console.log(`\n${total.toLocaleString("en-US")} fuzzed inputs, no failure`);
process.exit(0);
