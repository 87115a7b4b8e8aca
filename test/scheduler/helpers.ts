// Shared set-up for the scheduler tests: job folders written on the fly, a config with
// short leases, stores for "two processes", and a store wrapper whose calls can be made to fail.

import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, type Config, type ConfigInput } from "../../src/config/schema.ts";
import type { FakeClock } from "../../src/core/clock.ts";
import { StoreUnavailableError } from "../../src/core/errors.ts";
import { Registry } from "../../src/registry/registry.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import type { Store } from "../../src/store/store.ts";

export const QUEUES = ["critical", "default", "low"];

export const TICK_JOB = `
import { defineJob } from "qworker";
export default defineJob({ name: "tick", cron: "* * * * * *", run() {} });
`;

export const REPORT_JOB = `
import { defineJob, z } from "qworker";
export default defineJob({ name: "report", schema: z.object({ kind: z.string() }), run() {} });
`;

const cleanups: (() => Promise<void>)[] = [];

/** Runs every cleanup registered so far (call from afterEach). */
export async function cleanupAll(): Promise<void> {
  while (cleanups.length) await cleanups.pop()!().catch(() => {});
}

/** Registers something to stop or delete after the test. */
export function afterTest(fn: () => Promise<void> | void): void {
  cleanups.push(async () => {
    await fn();
  });
}

/** Writes the job modules into a fresh folder and loads them. */
export async function makeRegistry(files: Record<string, string>): Promise<Registry> {
  const dir = await mkdtemp(join(tmpdir(), "qworker-sched-jobs-"));
  afterTest(() => rm(dir, { recursive: true, force: true }));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return (await Registry.load({ dir, queues: QUEUES })).assertValid();
}

/** Config with leases short enough for tests (TTL 1.5 s, renew 0.5 s). */
export function makeConfig(input: ConfigInput = {}): Config {
  return configSchema.parse({ ...input, scheduler: { leaderTtl: 1_500, leaderRenew: 500, ...input.scheduler } });
}

export interface StoreKit {
  label: string;
  /** Two handles on one store, as two processes would have (the same object for memory). */
  open(clock: FakeClock): Promise<[Store, Store]>;
}

export const memoryKit: StoreKit = {
  label: "memory",
  async open(clock) {
    const store = new MemoryStore(clock);
    await store.open();
    afterTest(() => store.close());
    return [store, store];
  },
};

/** A real SQLite file with two connections, when the SQLite store is present. */
export async function sqliteKit(): Promise<StoreKit | undefined> {
  let SqliteStore: (new (opts: { path: string; clock: FakeClock }) => Store) | undefined;
  try {
    ({ SqliteStore } = await import("../../src/store/sqlite/sqlite-store.ts"));
  } catch {
    return undefined;
  }
  const Ctor = SqliteStore!;
  return {
    label: "sqlite",
    async open(clock) {
      const dir = await mkdtemp(join(tmpdir(), "qworker-sched-sqlite-"));
      const path = join(dir, "qworker.db");
      const a = new Ctor({ path, clock });
      const b = new Ctor({ path, clock });
      await a.open();
      await b.open();
      afterTest(async () => {
        await a.close();
        await b.close();
        await rm(dir, { recursive: true, force: true });
      });
      return [a, b];
    },
  };
}

/** A store whose named methods throw StoreUnavailableError while listed in `failing`. */
export function flaky(store: Store): { store: Store; failing: Set<keyof Store> } {
  const failing = new Set<keyof Store>();
  const wrapped = new Proxy(store, {
    get(target, key, receiver) {
      if (failing.has(key as keyof Store)) {
        return async () => {
          throw new StoreUnavailableError(`store unreachable (test: ${String(key)} is failing)`);
        };
      }
      const value = Reflect.get(target, key, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { store: wrapped, failing };
}
