// Calls an unreliable partner API. Fails about half the time with a
// transient error (retried with backoff), and honours a Retry-After by
// throwing RetryLater. Shows how retries look in `qworker jobs show`.
import { defineJob, z, RetryLater } from "qworker";

export default defineJob({
  name: "flaky-api",
  queue: "low",
  schema: z.object({
    endpoint: z.string().default("/v1/sync"),
    failRate: z.number().min(0).max(1).default(0.5),
  }),
  attempts: 6,
  backoff: { type: "exponential", delayMs: 500, maxMs: 30_000, jitter: true },
  timeout: "20s",
  async run({ endpoint, failRate }, ctx) {
    const roll = Math.random();
    if (roll < failRate / 5) throw new RetryLater(2_000, `429 from ${endpoint}: Retry-After 2s`);
    if (roll < failRate) throw new Error(`503 from ${endpoint} (attempt ${ctx.attempt})`);
    return { endpoint, status: 200, attempt: ctx.attempt };
  },
});
