/**
 * The landing view: every queue with its counts per state (each a link to
 * those jobs), its last hour as a sparkline with the current rates, and its
 * actions (pause/resume, retry every failed job); then the fleet in one
 * line: live and dead workers, the scheduler leader, the store; and, while
 * flow limits hold jobs back (issue 20), the keys doing it.
 */

import { JOB_STATES, type QueueCounts } from "../../../core/types.ts";
import type { StatusReport } from "../../../ops/operations.ts";
import { perMinute, type QueueThroughput } from "../../../stats/throughput.ts";
import { api } from "../api.ts";
import { h, jobsHref } from "../dom.ts";
import { sparkline } from "../sparkline.ts";
import type { View, ViewContext } from "../view.ts";
import { actionButton, confirmButton } from "../widgets.ts";

export function overviewView(ctx: ViewContext): View {
  const queues = h("tbody");
  const fleet = h("p", { class: "fleet" });
  const limited = h("div", { class: "flow" });
  ctx.main.replaceChildren(
    h("h1", null, "Queues"),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "queues", id: "queues" },
        h(
          "thead",
          null,
          h("tr", null, h("th", null, "queue"), ...JOB_STATES.map((s) => h("th", { class: `num col-${s}` }, s)), h("th", { class: "col-rate" }, "last hour"), h("th", null, "")),
        ),
        queues,
      ),
    ),
    fleet,
    limited,
  );

  const rows = new Map<string, { row: HTMLTableRowElement; actionsKey: string }>();
  const update = (status: StatusReport) => {
    const rates = new Map(status.throughput.queues.map((t) => [t.queue, t]));
    const order: HTMLTableRowElement[] = [];
    for (const q of status.queues) {
      // Rows and their buttons stay put across updates: a half-confirmed click must survive the next status.
      const actionsKey = `${q.paused}:${q.failed > 0 ? q.failed : 0}`;
      const fresh = queueRow(ctx, q, rates.get(q.queue), status.throughput.minute);
      const known = rows.get(q.queue);
      if (known) {
        const keep = known.actionsKey === actionsKey ? known.row.lastElementChild : null;
        known.row.replaceChildren(...Array.from(fresh.children).slice(0, keep ? -1 : undefined), ...(keep ? [keep] : []));
        known.actionsKey = actionsKey;
        order.push(known.row);
      } else {
        rows.set(q.queue, { row: fresh, actionsKey });
        order.push(fresh);
      }
    }
    queues.replaceChildren(...order);
    const alive = status.workers.filter((w) => w.alive).length;
    const dead = status.workers.length - alive;
    fleet.replaceChildren(
      h("a", { href: "#/workers" }, `${alive} live worker${alive === 1 ? "" : "s"}`),
      dead ? `, ${dead} dead` : "",
      " · scheduler leader: ",
      status.leader ? h("code", null, status.leader.holder) : "none",
      ` · store: ${status.store.backend}${status.store.durable ? "" : " (not durable)"}`,
    );
    limited.replaceChildren(...flowSection(status));
  };
  const current = ctx.status();
  if (current) update(current);
  else queues.append(h("tr", null, h("td", { attrs: { colspan: "10" }, class: "muted" }, "loading…")));
  return { update };
}

function queueRow(ctx: ViewContext, q: QueueCounts, t: QueueThroughput | undefined, minute: number): HTMLTableRowElement {
  const completed = t?.completed ?? [];
  const failed = t?.failed ?? [];
  const now = Math.max(Date.now(), minute);
  const rate = `${perMinute(completed, now).toFixed(1)}/min ok · ${perMinute(failed, now).toFixed(1)}/min failed`;
  const actions = h("td", { class: "actions" });
  if (!ctx.readOnly) {
    actions.append(
      q.paused
        ? actionButton("Resume", "resume", () => ctx.act(`resume ${q.queue}`, () => api.resumeQueue(q.queue)).then(() => ctx.refresh()))
        : actionButton("Pause", "pause", () => ctx.act(`pause ${q.queue}`, () => api.pauseQueue(q.queue)).then(() => ctx.refresh())),
    );
    if (q.failed > 0) {
      actions.append(
        confirmButton("Retry failed", `Retry ${q.failed} failed?`, "retry-failed", async () => {
          const r = await ctx.act(`retry failed jobs of ${q.queue}`, () => api.retryFailed(q.queue));
          if (r) ctx.flash(`${r.retried} job(s) of ${q.queue} back to waiting${r.skipped ? `; ${r.skipped} skipped (their unique key is taken)` : ""}`, "ok");
          await ctx.refresh();
        }),
      );
    }
  }
  return h(
    "tr",
    { attrs: { "data-queue": q.queue } },
    h("th", { attrs: { scope: "row" } }, q.queue, q.paused ? h("span", { class: "badge paused" }, "paused") : null),
    ...JOB_STATES.map((s) => h("td", { class: `num col-${s}` }, q[s] ? h("a", { href: jobsHref({ queue: q.queue, state: s }) }, String(q[s])) : "0")),
    h("td", { class: "col-rate" }, sparkline(completed.length ? completed : [0], failed.length ? failed : [0]), h("small", null, rate)),
    actions,
  );
}

/** Keys holding jobs back (flow control): key text is the user's, set as text nodes by h(), never as markup. */
function flowSection(status: StatusReport): HTMLElement[] {
  const keys = status.flow?.limited ?? [];
  if (keys.length === 0) return [];
  const now = Date.now();
  const waited = (since?: number) => (since === undefined ? "-" : `${Math.max(0, Math.round((now - since) / 1000))}s`);
  return [
    h("h2", null, "Held back by flow limits"),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "flow-keys", id: "flow-keys" },
        h("thead", null, h("tr", null, h("th", null, "key"), h("th", { class: "num" }, "running"), h("th", null, "next start"), h("th", { class: "num" }, "waiting"), h("th", { class: "num" }, "oldest waited"))),
        h(
          "tbody",
          null,
          ...keys.map((k) =>
            h(
              "tr",
              null,
              h("td", null, h("code", null, k.key)),
              h("td", { class: "num" }, k.max === undefined ? String(k.active) : `${k.active}/${k.max}`),
              h("td", null, k.nextAt > now ? `in ${((k.nextAt - now) / 1000).toFixed(1)}s` : "now"),
              h("td", { class: "num" }, String(k.waiting)),
              h("td", { class: "num" }, waited(k.waitingSince)),
            ),
          ),
        ),
      ),
    ),
  ];
}
