// The latency benchmark's job: its first line takes a wall-clock timestamp
// (comparable across processes) and hands it to the hook the benchmark
// installed, so enqueue-to-start is measured to the job body itself.
import { defineJob } from "qworker";

type Hook = (seq: number, at: number) => void;

export default defineJob({
  name: "stamp",
  queue: "bench",
  async run(payload) {
    const at = performance.timeOrigin + performance.now();
    const hook = (globalThis as { __qwBenchStamp?: Hook }).__qwBenchStamp;
    hook?.((payload as { seq: number }).seq, at);
  },
});
