/**
 * Jobs by state and queue, newest first, with search: a number (or a
 * cron:… id) opens that job, anything else lists jobs of that name. Paging
 * follows the API's cursors (Older / Newest), so it stays fast however many
 * jobs the store holds: a page is one indexed query, never an offset. The
 * first page refreshes itself when the live counts change, so a job
 * enqueued anywhere (the CLI, another host) appears without a reload.
 */

import { JOB_STATES, type JobRecord } from "../../../core/types.ts";
import type { StatusReport } from "../../../ops/operations.ts";
import { api } from "../api.ts";
import { ago, badge, h, jobHref, jobsHref } from "../dom.ts";
import type { View, ViewContext } from "../view.ts";

const PAGE = 50;

export async function jobsView(ctx: ViewContext, params: URLSearchParams): Promise<View> {
  const state = params.get("state") ?? "";
  const queue = params.get("queue") ?? "";
  const name = params.get("name") ?? "";
  const cursor = params.get("cursor") ?? "";
  const filters = { state, queue, name };

  const queueNames = ctx.status()?.queues.map((q) => q.queue) ?? [];
  const search = h("input", { type: "search", name: "q", value: name, placeholder: "job id or name", attrs: { "aria-label": "search by job id or name" } });
  const stateSelect = select("state", state, ["", ...JOB_STATES], "any state");
  const queueSelect = select("queue", queue, ["", ...new Set([...queueNames, ...(queue ? [queue] : [])])], "any queue");
  const body = h("tbody");
  const pager = h("nav", { class: "pager" });
  ctx.main.replaceChildren(
    h("h1", null, "Jobs"),
    h(
      "form",
      {
        class: "filters",
        id: "job-filters",
        onsubmit: (e) => {
          e.preventDefault();
          const text = search.value.trim();
          // Ids are short numbers the store hands out, or cron:<schedule>:<slot>.
          if (/^\d+$/.test(text) || text.startsWith("cron:")) return ctx.navigate(jobHref(text));
          ctx.navigate(jobsHref({ state: stateSelect.value, queue: queueSelect.value, name: text }));
        },
      },
      search,
      stateSelect,
      queueSelect,
      h("button", { type: "submit" }, "Show"),
    ),
    h(
      "div",
      { class: "scroll" },
      h(
        "table",
        { class: "jobs", id: "jobs" },
        h("thead", null, h("tr", null, ...["id", "name", "queue", "state", "tries", "created", "error"].map((c) => h("th", { class: `col-${c}` }, c)))),
        body,
      ),
    ),
    pager,
  );
  for (const s of [stateSelect, queueSelect]) s.addEventListener("change", () => (search.closest("form") as HTMLFormElement).requestSubmit());

  let countsKey = "";
  let loading = false;
  const load = async () => {
    if (loading) return;
    loading = true;
    try {
      const page = await ctx.load(() => api.jobs({ ...filters, cursor, limit: String(PAGE) }));
      if (!page) return;
      body.replaceChildren(...(page.jobs.length ? page.jobs.map(row) : [h("tr", null, h("td", { attrs: { colspan: "7" }, class: "muted" }, "no jobs"))]));
      pager.replaceChildren(
        cursor ? h("a", { href: jobsHref(filters) }, "« Newest") : "",
        page.nextCursor ? h("a", { href: jobsHref({ ...filters, cursor: page.nextCursor }), class: "older" }, "Older »") : "",
      );
    } finally {
      loading = false;
    }
  };
  await load();
  return {
    update(status: StatusReport) {
      // Only the first page moves: older pages stay where the user put them.
      const key = JSON.stringify(status.queues);
      if (key === countsKey) return;
      const first = countsKey === "";
      countsKey = key;
      if (!cursor && !first) void load();
    },
  };
}

function row(j: JobRecord): HTMLTableRowElement {
  const err = j.state === "failed" || (j.state === "delayed" && j.attemptsMade > 0) ? j.errors.at(-1)?.message : undefined;
  const tries = j.state === "active" ? `${j.attemptsMade + 1}/${j.maxAttempts}` : `${j.attemptsMade}/${j.maxAttempts}`;
  return h(
    "tr",
    { attrs: { "data-id": j.id } },
    h("td", { class: "col-id" }, h("a", { href: jobHref(j.id) }, j.id)),
    h("td", { class: "col-name" }, j.name),
    h("td", { class: "col-queue" }, j.queue),
    h("td", { class: "col-state" }, badge(j.state), j.state === "active" && j.progress ? h("progress", { attrs: { max: "100", value: String(j.progress.pct) } }) : null),
    h("td", { class: "col-tries num" }, tries),
    h("td", { class: "col-created" }, ago(j.createdAt)),
    h("td", { class: "col-error", title: err }, err ? err.slice(0, 120) : ""),
  );
}

function select(name: string, value: string, options: string[], anyLabel: string): HTMLSelectElement {
  return h("select", { name, attrs: { "aria-label": name } }, ...options.map((o) => {
    const opt = h("option", { value: o }, o || anyLabel);
    opt.selected = o === value;
    return opt;
  }));
}

