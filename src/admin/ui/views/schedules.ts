/**
 * Cron schedules: expression and timezone, next run, last run with its job
 * and outcome, paused or not (with the action), and which scheduler holds
 * the leader lease, i.e. which process enqueues the slots.
 */

import type { ScheduleListing } from "../../../ops/operations.ts";
import { api } from "../api.ts";
import { ago, badge, h, iso, jobHref } from "../dom.ts";
import type { View, ViewContext } from "../view.ts";
import { actionButton } from "../widgets.ts";

const REFRESH_MS = 5_000;

export async function schedulesView(ctx: ViewContext): Promise<View> {
  const body = h("tbody");
  const leader = h("p", { class: "leader" });
  ctx.main.replaceChildren(
    h("h1", null, "Schedules"),
    leader,
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "schedules", id: "schedules" },
        h("thead", null, h("tr", null, ...["name", "job", "cron", "next run", "last run", "last outcome", ""].map((c) => h("th", null, c)))),
        body,
      ),
    ),
  );
  const load = async () => {
    const listing = await ctx.load(() => api.schedules());
    if (listing) render(ctx, listing, body, leader, load);
  };
  await load();
  const timer = setInterval(() => void load(), REFRESH_MS);
  return { dispose: () => clearInterval(timer) };
}

function render(ctx: ViewContext, l: ScheduleListing, body: HTMLElement, leader: HTMLElement, reload: () => Promise<void>): void {
  leader.replaceChildren("leader: ", l.leader ? h("code", null, l.leader.holder) : "none (no scheduler running: cron slots are not enqueued)", l.leader ? ` (lease until ${iso(l.leader.until)})` : "");
  if (l.schedules.length === 0) {
    body.replaceChildren(h("tr", null, h("td", { attrs: { colspan: "7" }, class: "muted" }, "no schedules: give a job `cron`, or add `schedules` to the config")));
    return;
  }
  body.replaceChildren(
    ...l.schedules.map((s) => {
      const action = ctx.readOnly
        ? ""
        : s.paused
          ? actionButton("Resume", "resume", () => ctx.act(`resume ${s.name}`, () => api.resumeSchedule(s.name)).then(reload))
          : actionButton("Pause", "pause", () => ctx.act(`pause ${s.name}`, () => api.pauseSchedule(s.name)).then(reload));
      return h(
        "tr",
        { attrs: { "data-schedule": s.name } },
        h("th", { attrs: { scope: "row" } }, s.name, s.paused ? h("span", { class: "badge paused" }, "paused") : null, s.enabled ? null : h("span", { class: "badge" }, "disabled")),
        h("td", null, s.job),
        h("td", null, h("code", null, s.cron), h("small", null, ` ${s.timezone}`)),
        h("td", { title: iso(s.nextRun) }, s.nextRun === undefined ? "-" : ago(s.nextRun)),
        h("td", { title: iso(s.lastSlot) }, s.lastSlot === undefined ? "never" : ago(s.lastSlot), s.lastJobId ? [" ", h("a", { href: jobHref(s.lastJobId) }, "job")] : null),
        h("td", null, s.lastOutcome ? badge(s.lastOutcome) : "-"),
        h("td", { class: "actions" }, action),
      );
    }),
  );
}
