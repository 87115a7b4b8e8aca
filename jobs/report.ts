// Builds a report in steps and reports progress, the way an export or an
// import does. It stops cleanly when ctx.signal aborts (timeout, cancel,
// shutdown) instead of running on.
import { defineJob, z } from "qworker";

export default defineJob({
  name: "report",
  queue: "default",
  schema: z.object({
    account: z.string().default("acme"),
    rows: z.number().int().min(1).max(1_000_000).default(5_000),
  }),
  attempts: 3,
  timeout: "10m",
  async run({ account, rows }, ctx) {
    const steps = 10;
    let total = 0;
    for (let step = 1; step <= steps; step++) {
      if (ctx.signal.aborted) throw ctx.signal.reason;
      // Stand-in for a page of database reads.
      for (let i = 0; i < rows / steps; i++) total += (i * step) % 7;
      await new Promise((r) => setTimeout(r, 100));
      ctx.progress((step / steps) * 100, `page ${step}/${steps}`);
    }
    return { account, rows, checksum: total, url: `/reports/${account}/${ctx.id}.csv` };
  },
});
