/**
 * One job in full: state and actions (retry, cancel, remove), a progress
 * bar, timings (waited = startedAt − runAt, ran = finishedAt − startedAt),
 * every attempt with its error and stack, the payload, the result and the
 * job's log (the lines it wrote with ctx.log). While the job is not
 * finished it refreshes itself every REFRESH_MS and on each live status.
 * Every piece of job text goes in as a Text node.
 */

import type { JobRecord } from "../../../core/types.ts";
import { api, ApiError } from "../api.ts";
import { badge, duration, h, iso, jobsHref, pretty } from "../dom.ts";
import type { View, ViewContext } from "../view.ts";
import { actionButton, confirmButton } from "../widgets.ts";

const REFRESH_MS = 1_500;
const FINAL = new Set(["completed", "failed", "cancelled"]);

export async function jobView(ctx: ViewContext, _params: URLSearchParams, id = ""): Promise<View> {
  const root = h("article", { class: "job", id: "job" });
  ctx.main.replaceChildren(root);
  let timer: ReturnType<typeof setInterval> | undefined;
  let last = "";
  let gone = false;

  const load = async () => {
    if (gone) return;
    let job: JobRecord;
    try {
      job = await api.job(id);
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) {
        gone = true;
        root.replaceChildren(h("h1", null, "Job ", h("code", null, id)), h("p", { class: "muted" }, "No such job: it was removed, trimmed by retention, or never existed."), h("a", { href: "#/jobs" }, "All jobs"));
        return;
      }
      await ctx.load(() => Promise.reject(err));
      return;
    }
    const text = JSON.stringify(job);
    if (text === last) return;
    last = text;
    root.replaceChildren(...render(ctx, job, load).filter((n): n is Node => n !== null));
    if (FINAL.has(job.state) && timer !== undefined) {
      clearInterval(timer);
      timer = undefined;
    } else if (!FINAL.has(job.state) && timer === undefined) {
      timer = setInterval(() => void load(), REFRESH_MS);
    }
  };
  await load();
  return {
    update: () => void load(),
    dispose: () => clearInterval(timer),
  };
}

function render(ctx: ViewContext, j: JobRecord, reload: () => Promise<void>): (Node | null)[] {
  const waited = j.startedAt !== undefined ? j.startedAt - j.runAt : undefined;
  const ran = j.startedAt !== undefined && j.finishedAt !== undefined ? j.finishedAt - j.startedAt : undefined;
  const actions = h("div", { class: "actions" });
  if (!ctx.readOnly) {
    const done = (what: string) => async () => {
      if (await ctx.act(what, () => (what === "retry" ? api.retry(j.id) : api.cancel(j.id)))) {
        ctx.flash(`job ${j.id}: ${what === "retry" ? "back to waiting" : "cancelled"}`, "ok");
        await reload();
      }
    };
    if (FINAL.has(j.state)) actions.append(actionButton("Retry", "retry", done("retry")));
    if (!FINAL.has(j.state)) actions.append(actionButton("Cancel", "cancel", done("cancel")));
    if (j.state !== "active") {
      actions.append(
        confirmButton("Remove", "Remove for good?", "remove", async () => {
          if ((await ctx.act("remove", () => api.remove(j.id))) !== undefined) {
            ctx.flash(`job ${j.id} removed`, "ok");
            ctx.navigate(jobsHref({ queue: j.queue }));
          }
        }),
      );
    }
  }
  const pct = j.progress?.pct ?? (j.state === "completed" ? 100 : 0);
  return [
    h("h1", null, "Job ", h("code", { class: "job-id" }, j.id), " ", h("span", { class: "job-name" }, j.name), " ", badge(j.state)),
    actions,
    // A job that never reported progress and is not running shows no bar (a failed job at "0%" says nothing).
    j.progress || j.state === "active" || j.state === "completed"
      ? h(
          "div",
          { class: "progress-row" },
          h("progress", { id: "job-progress", attrs: { max: "100", value: String(Math.max(0, Math.min(100, pct))) } }),
          h("span", { class: "pct" }, `${Math.round(pct)}%`),
          j.progress?.msg ? h("span", { class: "progress-msg" }, j.progress.msg) : null,
        )
      : null,
    h(
      "dl",
      { class: "facts" },
      fact("queue", j.queue, `priority ${j.priority}`),
      fact("tries", `${j.state === "active" ? j.attemptsMade + 1 : j.attemptsMade} of ${j.maxAttempts}`, j.stalls ? `stalled ${j.stalls}×` : ""),
      fact("created", iso(j.createdAt)),
      fact("run at", iso(j.runAt)),
      fact("started", iso(j.startedAt), waited !== undefined && waited >= 0 ? `waited ${duration(waited)}` : ""),
      fact("finished", iso(j.finishedAt), ran !== undefined && ran >= 0 ? `ran ${duration(ran)}` : ""),
      j.lease && j.state === "active" ? fact("worker", j.lease.workerId, `lease until ${iso(j.lease.until)}`) : null,
      j.uniqueKey !== undefined ? fact("unique key", j.uniqueKey) : null,
    ),
    h("h2", null, "Attempts"),
    attempts(j),
    h("h2", null, "Payload"),
    h("pre", { class: "payload" }, pretty(j.data)),
    h("h2", null, "Result"),
    h("pre", { class: "result" }, pretty(j.result)),
    h("h2", null, `Log${j.logs?.length ? ` (last ${j.logs.length} lines)` : ""}`),
    logs(j),
  ];
}

function fact(term: string, value: string, note = ""): HTMLElement {
  return h("div", null, h("dt", null, term), h("dd", null, value, note ? h("small", null, ` ${note}`) : null));
}

function attempts(j: JobRecord): HTMLElement {
  const tries = Math.max(j.attemptsMade + (j.state === "active" ? 1 : 0), ...j.errors.map((e) => e.attempt));
  if (tries === 0) return h("p", { class: "muted" }, "not started yet");
  const list = h("ol", { class: "attempts" });
  for (let n = 1; n <= tries; n++) {
    const errs = j.errors.filter((e) => e.attempt === n);
    const item = h("li", { attrs: { value: String(n) } });
    if (j.state === "active" && n === tries) item.append(h("span", { class: "running" }, `running since ${iso(j.startedAt)}`));
    else if (errs.length === 0) item.append(j.state === "completed" && n === tries ? "completed" : "ended without an error");
    for (const e of errs) {
      item.append(h("div", { class: "attempt-error" }, h("strong", null, e.name ?? "Error"), ": ", h("span", { class: "error-message" }, e.message), h("small", null, ` at ${iso(e.at)}`)));
      if (e.stack) item.append(h("details", null, h("summary", null, "stack"), h("pre", { class: "stack" }, e.stack)));
    }
    list.append(item);
  }
  return list;
}

function logs(j: JobRecord): HTMLElement {
  if (!j.logs?.length) return h("p", { class: "muted" }, "no log lines");
  return h(
    "div",
    { class: "scroll" },
    h(
      "table",
      { class: "logs", id: "job-logs" },
      h(
        "tbody",
        null,
        ...j.logs.map((l) =>
          h(
            "tr",
            { class: `log-${l.level}` },
            h("td", { class: "log-time" }, new Date(l.at).toISOString().slice(11, 23)),
            h("td", { class: "log-level" }, l.level),
            h("td", { class: "log-try" }, `try ${l.attempt}`),
            h("td", { class: "log-msg" }, l.msg, l.fields ? h("code", null, ` ${JSON.stringify(l.fields)}`) : null),
          ),
        ),
      ),
    ),
  );
}
