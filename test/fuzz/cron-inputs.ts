/** Cron expressions and timezones as people mistype them: wrong field counts, ranges, steps, names and junk. */

import type { Rng } from "./random.ts";
import { randomText } from "./values.ts";

const FIELD_TOKENS = ["*", "*/5", "0", "59", "60", "1-5", "5-1", "1,2,3", "*/0", "L", "W", "1W", "5L", "MON", "mon-fri", "JAN", "?", "#", "1#3", "-1", "99999999999", "*/99999", "0-59/7", "", "a", "1/0", "**", ",", "SUN-SAT"];
const ZONES = ["UTC", "Europe/Berlin", "America/New_York", "Asia/Kathmandu", "Australia/Lord_Howe", "Mars/Olympus", "", "utc", "Etc/GMT+14", "+05:00", "America/Sao_Paulo", "Europe/London"];

export function fuzzCron(rng: Rng): { expression: string; timezone: string } {
  let expression: string;
  if (rng.chance(0.1)) expression = randomText(rng, 60);
  else {
    const fields = rng.chance(0.7) ? rng.pick([5, 6]) : rng.int(9);
    expression = Array.from({ length: fields }, () => (rng.chance(0.15) ? randomText(rng, 6) : rng.pick(FIELD_TOKENS))).join(rng.chance(0.9) ? " " : rng.pick(["  ", "\t", " \n "]));
  }
  const timezone = rng.chance(0.9) ? rng.pick(ZONES) : randomText(rng, 20);
  return { expression, timezone };
}
