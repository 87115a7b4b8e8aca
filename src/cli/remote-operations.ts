/**
 * CLI operations over a running server's admin API. Used for the memory
 * store, whose jobs live inside that server's process. Payloads are
 * validated by the server against the job schemas, as for any HTTP caller.
 */

import { UsageError } from "../core/errors.ts";
import type { EnqueueResult, JobRecord, LeaderInfo, QueueCounts, WorkerInfo } from "../core/types.ts";
import type { Config } from "../config/schema.ts";
import type { StatusReport } from "../app/operations.ts";
import { HttpTransport } from "../client/http-transport.ts";
import type { FieldLabel } from "../registry/enqueue-request.ts";
import type { JobPage, ListJobsParams } from "../store/store.ts";
import type { CliOperations } from "./cli-operations.ts";

export class RemoteOperations implements CliOperations {
  private readonly http: HttpTransport;

  constructor(config: Config) {
    const host = config.admin.host === "0.0.0.0" || config.admin.host === "::" ? "127.0.0.1" : config.admin.host;
    this.http = new HttpTransport({ url: `http://${host.includes(":") ? `[${host}]` : host}:${config.admin.port}`, token: config.admin.token, requestTimeoutMs: 10_000 });
  }

  async enqueue(requests: unknown[], _label?: FieldLabel): Promise<EnqueueResult[]> {
    if (requests.length === 0) throw new UsageError("nothing to enqueue: the list is empty");
    return this.http.request<EnqueueResult[]>("POST", "/api/jobs", requests);
  }

  getJob(id: string): Promise<JobRecord> {
    return this.http.getJob(id);
  }

  listJobs(p: ListJobsParams): Promise<JobPage> {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(p)) if (v !== undefined) q.set(k, String(v));
    return this.http.request("GET", `/api/jobs?${q}`);
  }

  retry(id: string): Promise<JobRecord> {
    return this.http.retry(id);
  }

  cancel(id: string): Promise<JobRecord> {
    return this.http.cancel(id);
  }

  async remove(id: string): Promise<void> {
    await this.http.request("DELETE", `/api/jobs/${encodeURIComponent(id)}`);
  }

  async pause(queue: string): Promise<void> {
    await this.http.request("POST", `/api/queues/${encodeURIComponent(queue)}/pause`);
  }

  async resume(queue: string): Promise<void> {
    await this.http.request("POST", `/api/queues/${encodeURIComponent(queue)}/resume`);
  }

  async status(): Promise<StatusReport> {
    const [queues, workers, schedules] = await Promise.all([
      this.http.request<{ queues: QueueCounts[] }>("GET", "/api/queues"),
      this.http.request<{ workers: WorkerInfo[] }>("GET", "/api/workers"),
      this.schedules().catch(() => ({ leader: undefined })),
    ]);
    return {
      store: { backend: "memory", durable: false },
      queues: queues.queues,
      workers: workers.workers,
      leader: (schedules as { leader?: LeaderInfo }).leader,
    };
  }

  schedules(): Promise<unknown> {
    return this.http.request("GET", "/api/schedules");
  }

  async setSchedulePaused(name: string, paused: boolean): Promise<void> {
    await this.http.request("POST", `/api/schedules/${encodeURIComponent(name)}/${paused ? "pause" : "resume"}`);
  }

  close(): Promise<void> {
    return this.http.close();
  }
}
