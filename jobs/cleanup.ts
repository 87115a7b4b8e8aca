// Nightly clean-up: deletes temporary files older than a day. Runs from
// cron on whichever host holds the scheduler lease, so exactly once per slot.
import { defineJob, z } from "qworker";
import { readdir, stat, rm, mkdir } from "node:fs/promises";
import { join } from "node:path";

export default defineJob({
  name: "cleanup",
  queue: "low",
  schema: z.object({
    dir: z.string().default("./data/tmp"),
    olderThanHours: z.number().positive().default(24),
  }),
  cron: "0 3 * * *",
  timezone: "UTC",
  cronPayload: { dir: "./data/tmp", olderThanHours: 24 },
  async run({ dir, olderThanHours }, ctx) {
    await mkdir(dir, { recursive: true });
    const cutoff = Date.now() - olderThanHours * 3_600_000;
    let removed = 0;
    for (const name of await readdir(dir)) {
      if (ctx.signal.aborted) break;
      const file = join(dir, name);
      if ((await stat(file)).mtimeMs < cutoff) {
        await rm(file, { recursive: true, force: true });
        removed++;
      }
    }
    ctx.log.info("cleanup done", { dir, removed });
    return { removed };
  },
});
