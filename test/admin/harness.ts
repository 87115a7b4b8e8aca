/**
 * An AdminServer on port 0 over a MemoryStore, with a Registry loaded from
 * a temp jobs folder whose job files import "qworker" like real ones. Each
 * test gets its own server, store and folder, so files run in parallel.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AdminServer, storeHealth, type AdminServerParams } from "../../src/admin/server.ts";
import { LocalOperations } from "../../src/ops/local.ts";
import { FakeClock } from "../../src/core/clock.ts";
import { StoreUnavailableError } from "../../src/core/errors.ts";
import { JOB_STATES } from "../../src/core/types.ts";
import { Registry } from "../../src/registry/registry.ts";
import { MemoryStore } from "../../src/store/memory/memory-store.ts";
import { fetchWithin } from "../helpers/wait.ts";

export const QUEUES = ["critical", "default", "low"];

export const JOB_FILES: Record<string, string> = {
  "send-email.ts": `
    import { defineJob, z } from "qworker";
    export default defineJob({
      schema: z.object({ to: z.string().email(), subject: z.string(), tags: z.array(z.string()).optional() }),
      async run(p) { return { sent: p.to }; },
    });`,
  "report.ts": `
    import { defineJob, z } from "qworker";
    export default defineJob({
      queue: "low",
      attempts: 5,
      schema: z.object({ month: z.string().regex(/^\\d{4}-\\d{2}$/) }),
      unique: { key: (p) => p.month },
      async run() { return "ok"; },
    });`,
  "noop.ts": `
    import { defineJob } from "qworker";
    export default defineJob({ queue: "critical", async run() {} });`,
  "nightly.ts": `
    import { defineJob } from "qworker";
    export default defineJob({ queue: "low", cron: "0 3 * * *", async run() {} });`,
};

/** A memory store whose ping can be made to fail (/health 503), and whose schedule reads can crash (500). */
export class FlakyStore extends MemoryStore {
  down = false;
  scheduleStatesCrash = false;
  override async ping(): Promise<void> {
    if (this.down) throw new StoreUnavailableError("store is down (test)");
  }
  override async scheduleStates() {
    if (this.scheduleStatesCrash) throw new TypeError("secret internals");
    return super.scheduleStates();
  }
}

export interface Harness {
  server: AdminServer;
  store: FlakyStore;
  ops: LocalOperations;
  clock: FakeClock;
  url: string;
  /** fetch `path` on the server (failing after 10 s without an answer); `body` objects are sent as JSON. */
  call(method: string, path: string, init?: { body?: unknown; raw?: BodyInit; headers?: Record<string, string> }): Promise<{ status: number; body: any; headers: Headers }>;
  /** How many jobs the store holds, in any state. */
  jobCount(): Promise<number>;
  close(): Promise<void>;
}

export async function startHarness(params: Partial<AdminServerParams> = {}): Promise<Harness> {
  const dir = mkdtempSync(join(tmpdir(), "qw-admin-"));
  for (const [file, text] of Object.entries(JOB_FILES)) writeFileSync(join(dir, file), text);
  const registry = (await Registry.load({ dir, queues: QUEUES })).assertValid();
  const clock = new FakeClock(Date.UTC(2026, 5, 1, 12));
  const store = new FlakyStore(clock);
  await store.open();
  const ops = new LocalOperations({ store, clock, registry });
  const server = new AdminServer({ ops, host: "127.0.0.1", port: 0, health: storeHealth(store), ...params });
  await server.start();
  const url = server.url;
  const token = params.token;

  return {
    server,
    store,
    ops,
    clock,
    url,
    async call(method, path, init = {}) {
      const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...init.headers };
      let body: BodyInit | undefined = init.raw;
      if (init.body !== undefined) body = JSON.stringify(init.body);
      // State changes are JSON-only (the CSRF defence); a test that means otherwise sets its own type.
      if (init.body !== undefined || (method !== "GET" && method !== "HEAD")) headers["content-type"] ??= "application/json";
      const res = await fetchWithin(url + path, { method, headers, body });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {}
      return { status: res.status, body: parsed, headers: res.headers };
    },
    async jobCount() {
      const counts = await store.counts([]);
      return counts.reduce((n, c) => n + JOB_STATES.reduce((m, s) => m + c[s], 0), 0);
    },
    async close() {
      await server.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
