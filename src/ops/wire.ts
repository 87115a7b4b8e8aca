/**
 * The admin API's reply shapes, as zod schemas. The server sends the
 * Operations answers as they are; HttpOperations parses every reply with
 * these, so a server and a client that drift apart fail with a clear
 * "unexpected reply" instead of a wrong value further on. Unknown fields
 * are dropped (a newer server may add some); missing or mistyped ones are
 * refused. The `satisfies` checks below keep these in step with the types.
 */

import { z } from "zod";
import { JOB_STATES, type EnqueueResult, type JobRecord, type LeaderInfo, type QueueCounts } from "../core/types.ts";
import type { JobPage } from "../store/store.ts";
import type { JobTypeInfo, RetryFailedReport, ScheduleInfo, ScheduleListing, StatusReport, WorkerView } from "./operations.ts";

const state = z.enum(JOB_STATES);

export const jobRecordWire = z.object({
  id: z.string(),
  name: z.string(),
  queue: z.string(),
  data: z.unknown(),
  state,
  priority: z.number(),
  attemptsMade: z.number(),
  maxAttempts: z.number(),
  stalls: z.number(),
  runAt: z.number(),
  createdAt: z.number(),
  startedAt: z.number().optional(),
  finishedAt: z.number().optional(),
  lease: z.object({ workerId: z.string(), token: z.number(), until: z.number() }).optional(),
  progress: z.object({ pct: z.number(), msg: z.string().optional() }).optional(),
  result: z.unknown().optional(),
  errors: z.array(
    z.object({ attempt: z.number(), at: z.number(), message: z.string(), name: z.string().optional(), stack: z.string().optional() }),
  ),
  uniqueKey: z.string().optional(),
  flow: z
    .object({
      limits: z.array(z.object({ key: z.string(), max: z.number(), perMs: z.number().optional() })).optional(),
      group: z.string().optional(),
    })
    .optional(),
});

export const enqueueResultWire = z.object({ id: z.string(), deduplicated: z.boolean() });
export const enqueueResultsWire = z.array(enqueueResultWire);

export const jobPageWire = z.object({ jobs: z.array(jobRecordWire), nextCursor: z.string().optional() });

const queueCounts = z.object({
  queue: z.string(),
  paused: z.boolean(),
  waiting: z.number(),
  delayed: z.number(),
  active: z.number(),
  completed: z.number(),
  failed: z.number(),
  cancelled: z.number(),
});
export const queuesWire = z.object({ queues: z.array(queueCounts) });

const workerView = z.object({
  id: z.string(),
  host: z.string(),
  pid: z.number(),
  role: z.string(),
  queues: z.array(z.string()),
  concurrency: z.number(),
  jobs: z.array(z.string()),
  startedAt: z.number(),
  heartbeatAt: z.number(),
  running: z.array(z.string()),
  mode: z.string().optional(),
  expiresAt: z.number(),
  alive: z.boolean(),
});
export const workersWire = z.object({ workers: z.array(workerView) });

const leader = z.object({ holder: z.string(), token: z.number(), until: z.number() });
/** The server sends `null` for "no leader"; it becomes undefined. */
const optionalLeader = leader.nullish().transform((l) => l ?? undefined).optional();

const scheduleInfo = z.object({
  name: z.string(),
  job: z.string(),
  cron: z.string(),
  timezone: z.string(),
  enabled: z.boolean(),
  paused: z.boolean(),
  overlap: z.enum(["skip", "allow"]),
  catchUpMs: z.number(),
  nextRun: z.number().optional(),
  lastSlot: z.number().optional(),
  lastJobId: z.string().optional(),
  lastOutcome: state.optional(),
});
export const schedulesWire = z.object({ schedules: z.array(scheduleInfo), leader: optionalLeader });

const throughput = z.object({
  minute: z.number(),
  queues: z.array(z.object({ queue: z.string(), completed: z.array(z.number()), failed: z.array(z.number()) })),
});

export const statusWire = z.object({
  store: z.object({ backend: z.string(), durable: z.boolean() }),
  queues: z.array(queueCounts),
  workers: z.array(workerView),
  leader: optionalLeader,
  // An older server sends none: no rates rather than a failed call.
  throughput: throughput.default({ minute: 0, queues: [] }),
  flow: z
    .object({
      limited: z.array(
        z.object({ key: z.string(), active: z.number(), max: z.number().optional(), nextAt: z.number(), waiting: z.number(), waitingSince: z.number().optional() }),
      ),
      throttled: z.array(z.object({ queue: z.string(), job: z.string(), count: z.number() })),
    })
    .optional(),
});

const jobType = z.object({
  name: z.string(),
  queue: z.string(),
  attempts: z.number(),
  priority: z.number(),
  timeoutMs: z.number(),
  cron: z.string().optional(),
  unique: z.boolean(),
  schema: z.record(z.string(), z.unknown()).optional(),
});
export const jobTypesWire = z.object({ jobs: z.array(jobType) });

export const retryFailedWire = z.object({ queue: z.string(), retried: z.number(), skipped: z.number() });

/** Replies of routes that only confirm (`{queue, paused}`, `{id, removed}`): checked to be an object. */
export const ackWire = z.object({}).passthrough();

// Each wire shape must describe its type exactly, both ways: a field added to one and not the
// other fails tsc here. The function is never called; it exists for the type checker.
type Out<S extends z.ZodType> = z.output<S>;
export function _wireShapesMatchTheirTypes(
  w: [Out<typeof jobRecordWire>, Out<typeof enqueueResultWire>, Out<typeof jobPageWire>, Out<typeof queueCounts>, Out<typeof workerView>, Out<typeof leader>, Out<typeof scheduleInfo>, Out<typeof schedulesWire>, Out<typeof statusWire>, Out<typeof jobType>, Out<typeof retryFailedWire>],
  t: [JobRecord, EnqueueResult, JobPage, QueueCounts, WorkerView, LeaderInfo, ScheduleInfo, ScheduleListing, StatusReport, JobTypeInfo, RetryFailedReport],
): void {
  w = t;
  t = w;
}
