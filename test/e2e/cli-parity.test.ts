/**
 * Everything the admin API can read or change, the CLI can too: this walks
 * the route table (so a route added later fails here until it has a
 * command) and runs each route's command against a real store, expecting
 * exit 0. Only the dashboard page and the liveness probe have no command.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { routeTable } from "../../src/admin/routes.ts";
import { makeProject, qw, type Project } from "../helpers/qworker-binary.ts";

/** Routes with no CLI twin, and why. */
const NO_COMMAND: Record<string, string> = {
  "GET /": "the dashboard page itself",
  "GET /health": "a liveness probe for load balancers and systemd; `qworker status` reports the store",
  "GET /ui/app.js": "the dashboard page's script",
  "GET /ui/app.css": "the dashboard page's style sheet",
  "GET /metrics": "a Prometheus scrape; `qworker status` and `qworker queues` show the same counts and rates",
  "GET /api/events": "the dashboard's live stream; `qworker status --watch` is its terminal twin",
};

/** The command for each route, in an order that can run top to bottom (`$id` is the job enqueued first). */
const COMMANDS: Record<string, string[]> = {
  "POST /api/jobs": ["enqueue", "noop", "--json"],
  "GET /api/jobs": ["jobs", "list"],
  "GET /api/jobs/:id": ["jobs", "show", "$id"],
  "POST /api/jobs/:id/cancel": ["jobs", "cancel", "$id"],
  "POST /api/jobs/:id/retry": ["jobs", "retry", "$id"],
  "DELETE /api/jobs/:id": ["jobs", "remove", "$id"],
  "GET /api/status": ["status"],
  "GET /api/queues": ["queues", "list"],
  "GET /api/job-types": ["jobs", "types"],
  "POST /api/queues/:queue/retry-failed": ["queues", "retry-failed", "default"],
  "POST /api/queues/:queue/pause": ["queues", "pause", "low"],
  "POST /api/queues/:queue/resume": ["queues", "resume", "low"],
  "GET /api/workers": ["workers", "list"],
  "GET /api/schedules": ["schedules", "list"],
  "POST /api/schedules/:name/pause": ["schedules", "pause", "hourly"],
  "POST /api/schedules/:name/resume": ["schedules", "resume", "hourly"],
  "POST /api/schedules/:name/trigger": ["schedules", "trigger", "hourly"],
};

let project: Project;
beforeAll(() => {
  project = makeProject("qw-parity-");
  mkdirSync(join(project.dir, "config"));
  writeFileSync(join(project.dir, "config/qworker.json"), JSON.stringify({ schedules: [{ name: "hourly", job: "noop", cron: "0 * * * *" }] }));
});
afterAll(() => project.cleanup());

describe("e2e: a CLI command for every admin route", () => {
  test("every route of the route table has a command or a reason it has none", () => {
    const missing = routeTable()
      .map((r) => `${r.method} ${r.pattern}`)
      .filter((key) => !(key in COMMANDS) && !(key in NO_COMMAND));
    expect(missing).toEqual([]);
  });

  test("each route's command runs against a real store and exits 0", async () => {
    let id = "";
    // Cancel needs a live job, retry a cancelled one, remove one that is not active: the order above does that.
    for (const [route, argv] of Object.entries(COMMANDS)) {
      const args = argv.map((a) => (a === "$id" ? id : a));
      const r = await qw(args, { cwd: project.dir });
      expect({ route, args, code: r.code, stderr: r.stderr }).toEqual({ route, args, code: 0, stderr: "" });
      if (route === "POST /api/jobs") id = JSON.parse(r.stdout).id;
    }
  });
});
