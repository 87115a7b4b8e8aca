/**
 * Enqueue requests as a careless or hostile caller sends them (the HTTP
 * body, the client, `ctx.enqueue` all end in LocalOperations.enqueue):
 * wrong types, unknown fields, odd names, timings out of range, payloads
 * that fail their schema or JSON itself.
 */

import type { Rng } from "./random.ts";
import { randomNumber, randomText, randomValue } from "./values.ts";

export const PAYLOAD_JOBS = ["send-email", "report", "noop", "nightly"];

export function fuzzEnqueueRequest(rng: Rng): unknown {
  if (rng.chance(0.05)) return randomValue(rng);
  const req: Record<string, unknown> = { name: rng.chance(0.85) ? rng.pick(PAYLOAD_JOBS) : randomText(rng) };
  if (rng.chance(0.8)) req.data = rng.chance(0.5) ? validish(rng) : randomValue(rng);
  if (rng.chance(0.2)) req.in = rng.chance(0.7) ? randomNumber(rng) : randomValue(rng);
  if (rng.chance(0.15)) req.at = rng.chance(0.5) ? randomText(rng) : randomNumber(rng);
  if (rng.chance(0.15)) req.priority = rng.chance(0.7) ? randomNumber(rng) : randomValue(rng);
  if (rng.chance(0.15)) req.attempts = rng.chance(0.7) ? randomNumber(rng) : randomValue(rng);
  if (rng.chance(0.15)) req.queue = rng.chance(0.5) ? rng.pick(["critical", "default", "low", "nope"]) : randomValue(rng);
  if (rng.chance(0.15)) req.key = rng.chance(0.7) ? randomText(rng, 600) : randomValue(rng);
  if (rng.chance(0.05)) req[randomText(rng, 10)] = randomValue(rng);
  return req;
}

/** Close to what the jobs accept, so the schema, not only the shape check, is exercised. */
function validish(rng: Rng): unknown {
  return rng.pick([
    () => ({ to: rng.chance(0.7) ? "a@b.co" : randomText(rng), subject: rng.chance(0.8) ? randomText(rng) : randomValue(rng) }),
    () => ({ month: rng.chance(0.6) ? `20${10 + rng.int(89)}-${String(1 + rng.int(12)).padStart(2, "0")}` : randomText(rng) }),
    () => ({}),
    () => ({ to: "a@b.co", subject: "s", tags: Array.from({ length: rng.int(4) }, () => randomValue(rng, 3)) }),
  ])();
}
