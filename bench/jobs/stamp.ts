// The latency benchmark's job: its first line takes a wall-clock timestamp
// (comparable across processes) and hands it to the hook the benchmark
// installed, so enqueue-to-start is measured to the job body itself. In a
// worker thread or child process there is no hook: the stamp comes back as
// the job's result (bench/modes-scenario.ts reads it from the store).
import { defineJob } from "qworker";

type Hook = (seq: number, at: number) => void;

export default defineJob({
  name: "stamp",
  queue: "bench",
  async run(payload) {
    const at = performance.timeOrigin + performance.now();
    const hook = (globalThis as { __qwBenchStamp?: Hook }).__qwBenchStamp;
    if (hook) hook((payload as { seq: number }).seq, at);
    else return { at };
  },
});
