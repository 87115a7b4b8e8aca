/**
 * A job module may only set options defineJob knows: a typo such as
 * `atempts: 5` is a load problem naming the file, the key and the nearest
 * known option, never a silently ignored setting. JOB_SPEC_KEYS is the one
 * list of those options; tsc keeps it equal to the keys of JobSpec.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { closestName, Registry } from "../../src/registry/registry.ts";
import { JOB_SPEC_KEYS } from "../../src/sdk/define-job.ts";
import { tscWorkspace } from "../helpers/tsc.ts";

const QUEUES = ["critical", "default", "low"];
const dirs: string[] = [];
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** Loads one job module whose defineJob spec is `spec` (source text) and returns the reasons reported for it. */
async function problemsOf(spec: string): Promise<string[]> {
  const dir = mkdtempSync(join(tmpdir(), "qw-job-options-"));
  dirs.push(dir);
  writeFileSync(join(dir, "job.ts"), `import { defineJob, z } from "qworker";\nexport default defineJob(${spec});\n`);
  const registry = await Registry.load({ dir, queues: QUEUES });
  for (const p of registry.problems) expect(p.file).toEndWith("job.ts");
  return registry.problems.map((p) => p.reason);
}

describe("unknown options in defineJob", () => {
  test("`atempts` is refused with “did you mean `attempts`?”", async () => {
    expect(await problemsOf("{ atempts: 5, run() {} }")).toEqual(["unknown option `atempts` in defineJob({...}); did you mean `attempts`?"]);
  });

  test("`timout` suggests `timeout`; a key that differs only in case suggests the right spelling", async () => {
    expect(await problemsOf('{ timout: "5s", run() {} }')).toEqual(["unknown option `timout` in defineJob({...}); did you mean `timeout`?"]);
    expect(await problemsOf('{ timeZone: "UTC", run() {} }')).toEqual(["unknown option `timeZone` in defineJob({...}); did you mean `timezone`?"]);
  });

  test("`retries` and `workers` have no close match: the message lists every known option", async () => {
    const [reason] = await problemsOf('{ retries: 3, workers: 2, run() {} }');
    expect(reason).toContain("unknown option `retries`");
    expect(reason).toContain("unknown option `workers`");
    expect(reason).toContain(`known options: ${JOB_SPEC_KEYS.join(", ")}`);
  });

  test("nested keys of backoff and unique are checked the same way, and each must be an object", async () => {
    expect(await problemsOf("{ backoff: { type: 'fixed', delayMs: 10, jiter: false }, run() {} }")).toEqual([
      "unknown option `backoff.jiter` in defineJob({...}); did you mean `backoff.jitter`?",
    ]);
    expect(await problemsOf("{ unique: { key: () => 'k', tll: '1h' }, run() {} }")).toEqual([
      "unknown option `unique.tll` in defineJob({...}); did you mean `unique.ttl`?",
    ]);
    expect(await problemsOf("{ backoff: { kind: 'fixed' }, run() {} }")).toEqual([
      "unknown option `backoff.kind` in defineJob({...}); known options: backoff.type, backoff.delayMs, backoff.maxMs, backoff.jitter",
    ]);
    expect(await problemsOf("{ backoff: 'exponential', run() {} }")).toEqual(["`backoff` must be an object with `type`, `delayMs`, `maxMs`, `jitter`"]);
    expect(await problemsOf("{ unique: 'by-email', run() {} }")).toEqual(["`unique` must be an object with `key`, `ttl`"]);
  });

  test("a module that sets every known option loads; wrong types of known options are still refused", async () => {
    const every = `{
      name: "every", queue: "low", schema: z.object({ to: z.string() }), attempts: 2,
      backoff: { type: "fixed", delayMs: 5, maxMs: 5, jitter: false }, timeout: "1s", priority: 1,
      cron: "0 3 * * *", cronPayload: { to: "x" }, timezone: "UTC", overlap: "allow",
      unique: { key: (p) => p.to, ttl: "1m" }, mode: "thread", maxMemoryMb: 256,
      concurrency: { max: 3, key: (p) => p.to }, rateLimit: { max: 50, per: "1s", key: (p) => p.to }, group: (p) => p.to, run: () => {},
    }`;
    expect(await problemsOf(every)).toEqual([]);
    for (const key of JOB_SPEC_KEYS) expect(every).toContain(`${key}:`);
    expect(await problemsOf('{ attempts: "5", run() {} }')).toEqual(["attempts must be a whole number from 1 to 1000, got 5"]);
  });

  test("flow options are bounded, and a bad one names its field", async () => {
    expect(await problemsOf("{ concurrency: { max: 0 }, run() {} }")).toEqual(["concurrency.max must be a whole number from 1 to 100,000, got 0"]);
    expect(await problemsOf("{ concurrency: { max: 100001 }, run() {} }")).toEqual(["concurrency.max must be a whole number from 1 to 100,000, got 100001"]);
    expect(await problemsOf("{ concurrency: 3, run() {} }")).toEqual(["`concurrency` must be an object with `max`, `key`"]);
    expect(await problemsOf("{ concurrency: { max: 2, key: 'tenant' }, run() {} }")).toEqual(["concurrency.key must be a function (payload) => string"]);
    expect(await problemsOf("{ concurrency: { max: 2, keys: () => 'x' }, run() {} }")).toEqual(["unknown option `concurrency.keys` in defineJob({...}); did you mean `concurrency.key`?"]);
    expect(await problemsOf('{ rateLimit: { max: -5, per: "1s" }, run() {} }')).toEqual(["rateLimit.max must be a whole number from 1 to 100,000, got -5"]);
    expect((await problemsOf('{ rateLimit: { max: 5, per: "soon" }, run() {} }'))[0]).toStartWith('rateLimit.per: "soon" is not a duration');
    expect(await problemsOf('{ rateLimit: { max: 5, per: "10ms" }, run() {} }')).toEqual(['rateLimit.per must be from 100ms to 1d0h, got "10ms"']);
    expect(await problemsOf('{ rateLimit: { max: 5, per: "2d" }, run() {} }')).toEqual(['rateLimit.per must be from 100ms to 1d0h, got "2d"']);
    expect(await problemsOf("{ rateLimit: { max: 5 }, run() {} }")).toEqual(["rateLimit.per must be a duration such as \"1s\" or \"1m\", got undefined"]);
    expect(await problemsOf("{ group: 'tenant', run() {} }")).toEqual(["group must be a function (payload) => string"]);
  });

  test("closestName: within a third of the name's length, case-insensitive, swaps count once", () => {
    expect(closestName("atempts", JOB_SPEC_KEYS)).toBe("attempts");
    expect(closestName("attmepts", JOB_SPEC_KEYS)).toBe("attempts");
    expect(closestName("CRON", JOB_SPEC_KEYS)).toBe("cron");
    expect(closestName("retries", JOB_SPEC_KEYS)).toBeUndefined();
    expect(closestName("concurency", JOB_SPEC_KEYS)).toBe("concurrency");
    expect(closestName("ratelimit", JOB_SPEC_KEYS)).toBe("rateLimit");
    expect(closestName("mdoe", JOB_SPEC_KEYS)).toBe("mode");
  });
});

describe("mode and maxMemoryMb", () => {
  test('`mode: "fast"` is refused naming the key and the modes there are; each real mode loads', async () => {
    expect(await problemsOf('{ mode: "fast", run() {} }')).toEqual(['`mode` must be "async", "thread", "process" or left out (the server\'s --mode), got "fast"']);
    for (const mode of ["async", "thread", "process"]) expect(await problemsOf(`{ mode: "${mode}", run() {} }`)).toEqual([]);
  });

  test("`maxMemoryMb` must be a whole number of MB from 16 to 1048576", async () => {
    for (const bad of ["0", "8", "1.5", '"256"', "2000000"]) {
      expect(await problemsOf(`{ maxMemoryMb: ${bad}, run() {} }`)).toEqual([`\`maxMemoryMb\` must be a whole number of MB from 16 to 1048576, got ${bad}`]);
    }
    expect(await problemsOf("{ maxMemoryMb: 16, run() {} }")).toEqual([]);
  });
});

describe("JOB_SPEC_KEYS lists exactly the keys of JobSpec", () => {
  test("tsc accepts define-job.ts as it is, and refuses a copy whose JobSpec gains an unlisted `retries`", async () => {
    const ws = tscWorkspace();
    try {
      const original = resolve(import.meta.dir, "../../src/sdk/define-job.ts");
      const grown = ws.copyWithEdit(original, "define-job-grown.ts", (text) => {
        const edited = text.replace(/(export interface JobSpec<[^\n]*\n)/, "$1  retries?: number;\n");
        expect(edited).not.toBe(text);
        return edited;
      });
      const { diagnostics, output } = await ws.check([original, grown]);
      expect({ original: diagnostics.filter((d) => d.file === original) }).toEqual({ original: [] });
      const refused = diagnostics.filter((d) => d.file === grown);
      expect(refused.map((d) => [d.code, d.message])).toEqual([["TS2344", `Type '"retries"' does not satisfy the constraint 'never'.`]]);
      expect(diagnostics.length, output).toBe(1);
    } finally {
      ws.cleanup();
    }
  }, 60_000);
});

describe("bounded job options", () => {
  test("timeout from 100 ms to 24 days, attempts 1-1000, priority 0-65535, unique.ttl 1 s to a year, backoff.maxMs at most a year: each refused naming the option and the range", async () => {
    expect(await problemsOf('{ timeout: "0ms", run() {} }')).toEqual(["timeout must be from 100ms to 24d0h, got 0ms"]);
    expect(await problemsOf('{ timeout: "99999999999999999999d", run() {} }')).toEqual([expect.stringContaining("timeout must be from 100ms to 24d0h")]);
    expect(await problemsOf("{ attempts: 1001, run() {} }")).toEqual(["attempts must be a whole number from 1 to 1000, got 1001"]);
    expect(await problemsOf("{ priority: 70000, run() {} }")).toEqual(["priority must be a whole number from 0 to 65535, got 70000"]);
    expect(await problemsOf('{ unique: { key: () => "k", ttl: "0ms" }, run() {} }')).toEqual([expect.stringContaining("unique.ttl must be from 1s")]);
    expect(await problemsOf("{ backoff: { type: 'fixed', delayMs: 1, maxMs: 1e15 }, run() {} }")).toEqual([expect.stringContaining("maxMs <= 366d0h")]);
    expect(await problemsOf('{ timeout: "24d", attempts: 1000, priority: 65535, unique: { key: () => "k", ttl: "366d" }, run() {} }')).toEqual([]);
  });
});
