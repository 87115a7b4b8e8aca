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
    test(`${surface.name}, seed ${seed}: ${count} fuzzed inputs, each answered cleanly`, async () => {
      expect(await fuzz(surface, seed, count, seeded)).toBe(count);
    });
  }
}
