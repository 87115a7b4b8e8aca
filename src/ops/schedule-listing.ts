/**
 * The schedules as users see them: the catalogue (job modules and config,
 * src/registry/schedules.ts) joined with what the store keeps of each (last
 * slot, last job, paused), and the next slot worked out from the cron
 * expression. Needs no scheduler running: any role, or the CLI, lists them.
 */

import { planSlots } from "../cron/slots.ts";
import type { ScheduleState } from "../core/types.ts";
import type { Schedule } from "../registry/schedules.ts";
import type { Store } from "../store/store.ts";
import type { ScheduleInfo } from "./operations.ts";

export async function listSchedules(schedules: readonly Schedule[], store: Store, now: number): Promise<ScheduleInfo[]> {
  const states = new Map((await store.scheduleStates()).map((s) => [s.name, s]));
  return Promise.all(schedules.map((s) => describe(s, states.get(s.name), store, now)));
}

async function describe(s: Schedule, state: ScheduleState | undefined, store: Store, now: number): Promise<ScheduleInfo> {
  const paused = state?.paused ?? false;
  const lastJob = state?.lastJobId ? await store.getJob(state.lastJobId) : undefined;
  let nextRun: number | undefined;
  if (s.enabled && !paused) {
    // A schedule that never ran starts from now, as the cron service does: no past slot is owed.
    const plan = planSlots({
      spec: { expression: s.cron, timezone: s.timezone },
      after: state?.lastSlot ?? now,
      afterIsSlot: state?.lastSlot !== undefined,
      now,
      catchUpMs: 0,
    });
    nextRun = plan.due.at(-1) ?? plan.next;
  }
  const info: ScheduleInfo = {
    name: s.name,
    job: s.job.name,
    cron: s.cron,
    timezone: s.timezone,
    enabled: s.enabled,
    paused,
    overlap: s.overlap,
    catchUpMs: s.catchUpMs,
  };
  if (nextRun !== undefined) info.nextRun = nextRun;
  if (state?.lastSlot !== undefined) info.lastSlot = state.lastSlot;
  if (state?.lastJobId !== undefined) info.lastJobId = state.lastJobId;
  if (lastJob) info.lastOutcome = lastJob.state;
  return info;
}
