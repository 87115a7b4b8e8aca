/**
 * Command lines as a tired operator or a hostile script types them: every
 * command but `run` (which serves until stopped), with flags missing,
 * repeated, unknown, glued with `=`, or given values that are wrong in type,
 * range or encoding (control bytes, huge numbers, paths that are not files).
 */

import type { Rng } from "./random.ts";
import { randomNumber, randomText, randomValue } from "./values.ts";

const COMMANDS: string[][] = [
  ["enqueue", "send-email"],
  ["enqueue", "noop"],
  ["enqueue", "report"],
  ["enqueue"],
  ["status"],
  ["jobs", "list"],
  ["jobs", "show"],
  ["jobs", "retry"],
  ["jobs", "cancel"],
  ["jobs", "remove"],
  ["jobs", "types"],
  ["jobs"],
  ["queues"],
  ["queues", "pause"],
  ["queues", "resume"],
  ["queues", "retry-failed"],
  ["workers"],
  ["schedules"],
  ["schedules", "pause"],
  ["schedules", "trigger"],
  ["validate"],
  ["info"],
  ["systemd"],
  ["bogus"],
  [],
];

const FLAGS = [
  "--data", "--jsonl", "--in", "--at", "--queue", "--priority", "--attempts", "--key", "--wait", "--timeout", "--json",
  "--state", "--limit", "--cursor", "--name", "--user", "--workdir", "--role", "--template",
  "--backend", "--db", "--log-level", "--log-format", "--admin-port", "--admin-host", "--concurrency", "--mode", "--processes", "--queues", "--help", "--version", "--nope",
];

/** Flags the runner must not let through: they would wait (on a worker, on stdin) or reach outside the sandbox. */
export const UNSAFE = /^--(wait|config|jobs|jsonl|admin-token-file)(=|$)|^@-$|^-$/;

export function fuzzArgv(rng: Rng): string[] {
  const argv = [...rng.pick(COMMANDS)];
  if (argv.length && rng.chance(0.6) && ["show", "retry", "cancel", "remove", "pause", "resume", "trigger", "retry-failed"].includes(argv[argv.length - 1])) {
    argv.push(rng.chance(0.5) ? rng.pick(["1", "2", "default", "low", "nightly", "99999999999999999999", "cron:x:1"]) : randomText(rng, 20));
  }
  for (let i = rng.int(4); i > 0; i--) {
    const flag = rng.pick(FLAGS);
    const value = rng.chance(0.5) ? rng.pick(["1", "0", "-1", "1e300", "5m", "soon", "", "true", "critical", "sqlite", "memory", "redis", "@/etc/hostname", "{}", '{"to":"a@b.co","subject":"s"}', "[1]"]) : rng.chance(0.5) ? randomText(rng, 30) : String(rng.chance(0.5) ? randomNumber(rng) : JSON.stringify(randomValue(rng)));
    if (rng.chance(0.2)) argv.push(`${flag}=${value}`);
    else {
      argv.push(flag);
      if (rng.chance(0.85)) argv.push(value);
    }
  }
  return argv.filter((a) => !UNSAFE.test(a));
}
