/**
 * Enqueue a job by hand. The job list and each payload form come from GET
 * /api/job-types (the jobs' zod schemas as JSON Schema). The payload is
 * checked against the schema in the browser first: a payload that fails is
 * refused with the reasons beside the fields, and nothing is sent. The
 * server checks it again with the job's own schema when it arrives.
 */

import type { JobTypeInfo } from "../../../ops/operations.ts";
import { api, ApiError } from "../api.ts";
import { h, jobHref } from "../dom.ts";
import { schemaForm, type SchemaForm } from "../schema-form.ts";
import { validate } from "../schema-validate.ts";
import type { View, ViewContext } from "../view.ts";

export async function enqueueView(ctx: ViewContext, params: URLSearchParams): Promise<View> {
  ctx.main.replaceChildren(h("h1", null, "Enqueue a job"));
  if (ctx.readOnly) {
    ctx.main.append(h("p", { class: "muted" }, "This server is read-only (admin.readOnly): jobs cannot be enqueued from here."));
    return {};
  }
  const types = (await ctx.load(() => api.jobTypes()))?.jobs;
  if (!types) return {};
  if (types.length === 0) {
    ctx.main.append(h("p", { class: "muted" }, "No job modules are loaded by this server."));
    return {};
  }
  const wanted = params.get("job") ?? types[0].name;
  const jobSelect = h("select", { name: "job", id: "enqueue-job" }, ...types.map((t) => h("option", { value: t.name }, t.name)));
  jobSelect.value = types.some((t) => t.name === wanted) ? wanted : types[0].name;
  const queue = h("input", { type: "text", name: "queue", attrs: { "aria-label": "queue" } });
  const priority = h("input", { type: "text", name: "priority", attrs: { inputmode: "numeric", "aria-label": "priority" } });
  const delay = h("input", { type: "text", name: "in", placeholder: "seconds", attrs: { inputmode: "decimal", "aria-label": "start in seconds" } });
  const payloadBox = h("div", { class: "payload-form" });
  const about = h("p", { class: "muted job-about" });
  const status = h("p", { class: "form-status", id: "enqueue-status", attrs: { role: "status" } });
  let form: SchemaForm;
  let type: JobTypeInfo;

  const pick = () => {
    type = types.find((t) => t.name === jobSelect.value)!;
    form = schemaForm(type.schema);
    payloadBox.replaceChildren(form.element);
    queue.placeholder = type.queue;
    priority.placeholder = String(type.priority);
    about.textContent = `queue ${type.queue} · ${type.attempts} attempt(s) · timeout ${Math.round(type.timeoutMs / 1000)} s${type.cron ? ` · cron ${type.cron}` : ""}${type.unique ? " · unique" : ""}${type.schema ? "" : " · any payload"}`;
    status.textContent = "";
  };
  jobSelect.addEventListener("change", pick);
  pick();

  const submit = async (e: SubmitEvent) => {
    e.preventDefault();
    const read = form.read();
    if (read.error) {
      form.showIssues([read.error]);
      status.textContent = "not sent: fix the payload first";
      status.className = "form-status error";
      return;
    }
    const issues = type.schema ? validate(type.schema, read.value) : [];
    form.showIssues(issues);
    if (issues.length) {
      status.textContent = `not sent: the payload does not match the schema of ${type.name} (${issues.length} problem${issues.length === 1 ? "" : "s"})`;
      status.className = "form-status error";
      return;
    }
    const req: Record<string, unknown> = { name: type.name };
    if (read.value !== undefined) req.data = read.value;
    if (queue.value.trim()) req.queue = queue.value.trim();
    if (priority.value.trim()) req.priority = Number(priority.value.trim());
    if (delay.value.trim()) req.in = Number(delay.value.trim());
    try {
      const r = await api.enqueue(req);
      ctx.flash(r.deduplicated ? `already pending as job ${r.id} (deduplicated)` : `enqueued job ${r.id}`, "ok");
      ctx.navigate(jobHref(r.id));
    } catch (err) {
      if (err instanceof ApiError) {
        status.textContent = `refused by the server: ${err.message}`;
        status.className = "form-status error";
      } else await ctx.act("enqueue", () => Promise.reject(err));
    }
  };

  ctx.main.append(
    h(
      "form",
      { class: "enqueue", id: "enqueue-form", attrs: { novalidate: "" }, onsubmit: submit },
      h("div", { class: "field" }, h("label", null, h("span", { class: "field-name" }, "job"), jobSelect)),
      about,
      payloadBox,
      h("details", { class: "options" }, h("summary", null, "options"), h("div", { class: "field" }, h("label", null, "queue", queue)), h("div", { class: "field" }, h("label", null, "priority", priority)), h("div", { class: "field" }, h("label", null, "start in (s)", delay))),
      h("button", { type: "submit", class: "primary" }, "Enqueue"),
      status,
    ),
  );
  return {};
}
