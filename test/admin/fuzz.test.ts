/**
 * A seeded fuzz of the admin API (a share of what `bun bench/fuzz.ts`
 * runs): hostile methods, paths, Host values, headers and bodies. Every
 * request must get an answer below 500, a 2xx only when the request was
 * allowed to pass at all, and a refused request must leave the store as it
 * was. The server must still answer /health at the end (test/fuzz/surfaces.ts).
 */

import { expect, test } from "bun:test";
import { seeded } from "../fuzz/random.ts";
import { adminSurface, fuzz } from "../fuzz/surfaces.ts";

const SEEDS = [1, 2, 3, 4];
const PER_SEED = 500;

for (const seed of SEEDS) {
  test(`seed ${seed}: ${PER_SEED} hostile requests, no 5xx, no unearned 2xx, refused ones change nothing, /health answers after`, async () => {
    expect(await fuzz(adminSurface as never, seed, PER_SEED, seeded)).toBe(PER_SEED);
  });
}
