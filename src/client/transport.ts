/**
 * What QworkerClient needs from a way of reaching qworker: the admin API
 * over HTTP, or a store directly. Requests travel in the wire shape of
 * `POST /api/jobs` on both, so both validate the same fields.
 */

import type { EnqueueResult, JobRecord } from "../core/types.ts";

/** One job to enqueue, exactly as `POST /api/jobs` takes it. */
export interface EnqueueBody {
  name: string;
  data?: unknown;
  /** Seconds from now. */
  in?: number;
  /** ISO 8601. */
  at?: string;
  queue?: string;
  priority?: number;
  attempts?: number;
  key?: string;
}

export interface Transport {
  /** All or nothing: a bad item stores none. */
  enqueue(requests: EnqueueBody[]): Promise<EnqueueResult[]>;
  /** NotFoundError for an unknown id. */
  getJob(id: string): Promise<JobRecord>;
  cancel(id: string): Promise<JobRecord>;
  retry(id: string): Promise<JobRecord>;
  close(): Promise<void>;
}
