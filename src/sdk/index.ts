/**
 * The `qworker` module as job files see it. The binary serves this object
 * to `import ... from "qworker"` (see src/registry/sdk-plugin.ts), so a jobs
 * folder needs no node_modules.
 */

export { z } from "zod";
export { defineJob, isJobDefinition } from "./define-job.ts";
export type { JobContext, JobDefinition, JobLogger, JobSpec, EnqueueOptions } from "./define-job.ts";
export { Cancelled, RateLimited, RetryLater, Unrecoverable, TimedOut, ShuttingDown } from "./errors.ts";
