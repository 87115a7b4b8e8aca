/**
 * What `GET /health` says about a running qworker: the store answers a
 * ping, and this process's worker pool gets its writes through. A store
 * that answers pings but refuses writes (disk full, Redis out of memory, a
 * read-only file) is "degraded", with the failing check named, so a load
 * balancer or systemd does not send work to a worker that cannot record it.
 */

import { storeHealth, type HealthCheck } from "../admin/server.ts";
import type { Store } from "../store/store.ts";
import type { WorkerPool } from "../worker/pool.ts";
import type { ReloadState } from "./reload.ts";

/** What a store may add to /health about its server (the Redis store: its maxmemory-policy). */
interface ServerHealth {
  healthDetails?(): Promise<{ maxmemoryPolicy?: string; problem?: string }>;
}

export function runtimeHealth(p: { store: Store; pool?: WorkerPool; role: string; reload?: () => ReloadState | undefined }): HealthCheck {

  const ping = storeHealth(p.store);
  return async () => {
    const report = await ping();
    const details: Record<string, unknown> = { ...report.details, role: p.role };
    const pool = p.pool?.health();
    if (pool) details.worker = pool;
    // A refused reload leaves the old code serving: healthy, but the operator should see why.
    const reload = p.reload?.();
    if (reload) details.reload = reload;
    if (!report.ok) return { ok: false, status: "unavailable", details };
    const server = await (p.store as ServerHealth).healthDetails?.().catch(() => undefined);
    if (server) {
      details.store = { ...(details.store as object), maxmemoryPolicy: server.maxmemoryPolicy };
      if (server.problem) {
        details.failing = server.problem;
        return { ok: false, status: "degraded", details };
      }
    }
    if (pool && !pool.ok) {
      details.failing = `store writes: ${pool.failing?.error ?? "refused"}`;
      return { ok: false, status: "degraded", details };
    }
    return { ok: true, status: "ok", details };
  };
}
