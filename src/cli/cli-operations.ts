/**
 * The operations a CLI command runs, wherever the jobs are: over the store
 * directly for sqlite and redis (no server needed), or over the running
 * server's admin API for the memory store (its jobs live in that process).
 */

import type { EnqueueResult, JobRecord } from "../core/types.ts";
import type { StatusReport } from "../app/operations.ts";
import { Operations } from "../app/operations.ts";
import type { FieldLabel } from "../registry/enqueue-request.ts";
import { Registry } from "../registry/registry.ts";
import { openStore } from "../store/open-store.ts";
import type { JobPage, ListJobsParams } from "../store/store.ts";
import type { CliContext } from "./context.ts";
import { RemoteOperations } from "./remote-operations.ts";

export interface CliOperations {
  enqueue(requests: unknown[], label?: FieldLabel): Promise<EnqueueResult[]>;
  getJob(id: string): Promise<JobRecord>;
  listJobs(params: ListJobsParams): Promise<JobPage>;
  retry(id: string): Promise<JobRecord>;
  cancel(id: string): Promise<JobRecord>;
  remove(id: string): Promise<void>;
  pause(queue: string): Promise<void>;
  resume(queue: string): Promise<void>;
  status(): Promise<StatusReport>;
  close(): Promise<void>;
}

/** `registry` is needed to enqueue (payload validation); inspecting works without it. */
export async function cliOperations(ctx: CliContext, registry?: Registry): Promise<CliOperations> {
  if (ctx.config.store.backend === "memory") return new RemoteOperations(ctx.config);
  const store = await openStore(ctx.config, ctx.clock);
  const ops = new Operations(store, registry ?? Registry.empty({ dir: ctx.config.jobs, queues: ctx.config.queues }), ctx.clock);
  return Object.assign(ops, { close: () => store.close() });
}

/** Runs `fn` with operations and always closes them. */
export async function withCliOperations<T>(ctx: CliContext, fn: (ops: CliOperations) => Promise<T>, registry?: Registry): Promise<T> {
  const ops = await cliOperations(ctx, registry);
  try {
    return await fn(ops);
  } finally {
    await ops.close();
  }
}
