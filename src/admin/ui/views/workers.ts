/**
 * The fleet: each worker with host, pid, role, mode, queues, heartbeat age
 * and alive or dead (a lapsed heartbeat), and the jobs it is running with
 * their progress. Active jobs come from one listing (state=active) grouped
 * by the lease holder, not a read per worker.
 */

import type { JobRecord } from "../../../core/types.ts";
import type { StatusReport, WorkerView } from "../../../ops/operations.ts";
import { api } from "../api.ts";
import { ago, h, jobHref } from "../dom.ts";
import type { View, ViewContext } from "../view.ts";

/** Running jobs listed: enough for every slot of a few busy workers. */
const ACTIVE_LISTED = 500;

export async function workersView(ctx: ViewContext): Promise<View> {
  const list = h("div", { class: "workers", id: "workers" });
  ctx.main.replaceChildren(h("h1", null, "Workers"), list);
  let busy = false;
  const load = async (status?: StatusReport) => {
    if (busy) return;
    busy = true;
    try {
      const [workers, active] = await Promise.all([
        status ? Promise.resolve(status.workers) : ctx.load(async () => (await api.workers()).workers),
        ctx.load(() => api.jobs({ state: "active", limit: String(ACTIVE_LISTED) })),
      ]);
      if (!workers) return;
      const byWorker = new Map<string, JobRecord[]>();
      for (const j of active?.jobs ?? []) {
        const w = j.lease?.workerId ?? "";
        byWorker.set(w, [...(byWorker.get(w) ?? []), j]);
      }
      list.replaceChildren(...(workers.length ? workers.map((w) => card(w, byWorker.get(w.id) ?? [])) : [h("p", { class: "muted" }, "no worker is running: start `qworker run`")]));
    } finally {
      busy = false;
    }
  };
  await load(ctx.status());
  return { update: (s) => void load(s) };
}

function card(w: WorkerView, jobs: JobRecord[]): HTMLElement {
  return h(
    "section",
    { class: `worker ${w.alive ? "alive" : "dead"}`, attrs: { "data-worker": w.id } },
    h("h2", null, h("code", null, w.id), " ", h("span", { class: `badge ${w.alive ? "state-completed" : "state-failed"}` }, w.alive ? "alive" : "dead")),
    h(
      "p",
      { class: "facts" },
      `host ${w.host} · pid ${w.pid} · role ${w.role}${w.mode ? ` · mode ${w.mode}` : ""} · queues ${w.queues.join(", ")} · ${w.running.length}/${w.concurrency} busy · heartbeat ${ago(w.heartbeatAt)} · up since ${ago(w.startedAt)}`,
    ),
    jobs.length
      ? h(
          "ul",
          { class: "running" },
          ...jobs.map((j) =>
            h(
              "li",
              null,
              h("a", { href: jobHref(j.id) }, j.id),
              ` ${j.name} `,
              h("progress", { attrs: { max: "100", value: String(j.progress?.pct ?? 0) } }),
              ` ${Math.round(j.progress?.pct ?? 0)}%`,
              j.progress?.msg ? h("span", { class: "progress-msg" }, ` ${j.progress.msg}`) : null,
            ),
          ),
        )
      : w.running.length
        ? h("p", { class: "muted" }, `${w.running.length} job(s) running`)
        : h("p", { class: "muted" }, "idle"),
  );
}
