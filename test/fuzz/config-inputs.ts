/**
 * Config files as they arrive broken: a valid config mutated (keys and
 * values swapped for wrong types or out-of-range values), JSONC damaged
 * byte by byte, absurd nesting, and plain junk.
 */

import type { Rng } from "./random.ts";
import { randomNumber, randomText, randomValue } from "./values.ts";

const BASE = {
  jobs: "./jobs",
  jobLoadTimeout: "10s",
  queues: ["critical", "default", "low"],
  store: { backend: "sqlite", db: "./data/qworker.db" },
  worker: { role: "all", concurrency: 10, lease: "30s", heartbeat: "2s", maxStalls: 2, shutdownTimeout: "25s", mode: "async" },
  admin: { host: "127.0.0.1", port: 7420, maxRequests: 256, requestTimeout: "30s" },
  limits: { maxPayloadBytes: 524288, maxBulkJobs: 10000 },
  retention: { completedMaxAge: "24h", completedMaxCount: 1000 },
  scheduler: { leaderTtl: "8s", leaderRenew: "2s" },
  schedules: [{ name: "nightly", job: "noop", cron: "0 3 * * *", timezone: "UTC" }],
  log: { level: "info", format: "auto" },
};

const ODD_VALUES = () => ["0", "-1s", "1e400", "99999999999999999999d", "soon", "", " 30s ", "30S", "1.5.5s", null, true, [], {}, -5, 1e300];

export function fuzzConfigText(rng: Rng): string {
  const r = rng.next();
  if (r < 0.05) return randomText(rng, 200);
  if (r < 0.1) return "[".repeat(rng.int(200_000)) + "{}";
  const config = structuredClone(BASE) as Record<string, unknown>;
  for (let i = 1 + rng.int(3); i > 0; i--) mutate(rng, config);
  let text = JSON.stringify(config, null, rng.chance(0.5) ? 2 : 0);
  if (rng.chance(0.2)) text = text.replace(/\n/g, () => (rng.chance(0.1) ? " // a comment\n" : "\n"));
  if (rng.chance(0.2)) {
    // Damage the text itself: a byte dropped, doubled or replaced.
    const at = rng.int(text.length);
    const op = rng.int(3);
    text = op === 0 ? text.slice(0, at) + text.slice(at + 1) : op === 1 ? text.slice(0, at) + text[at] + text.slice(at) : text.slice(0, at) + rng.pick([",", "}", "]", '"', "/*", "\u0000", "\\"]) + text.slice(at + 1);
  }
  return text;
}

function mutate(rng: Rng, obj: Record<string, unknown>): void {
  const keys = Object.keys(obj);
  const key = rng.pick(keys);
  const value = obj[key];
  if (value && typeof value === "object" && !Array.isArray(value) && rng.chance(0.7)) return mutate(rng, value as Record<string, unknown>);
  const k = rng.int(5);
  if (k === 0) obj[key] = rng.pick(ODD_VALUES());
  else if (k === 1) obj[key] = randomValue(rng);
  else if (k === 2) obj[randomText(rng, 12)] = randomValue(rng);
  else if (k === 3) delete obj[key];
  else obj[key] = randomNumber(rng);
}
