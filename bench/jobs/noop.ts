// The drain benchmark's job: does nothing, so the figure is pure queue
// overhead (claim, run, complete), as for the peers' `async () => {}`.
import { defineJob } from "qworker";

export default defineJob({ name: "noop", queue: "bench", async run() {} });
