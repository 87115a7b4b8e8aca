/**
 * Every role answers every read: a `--role api` process serves schedules,
 * workers, queues and status from the store with the same shapes as a
 * `--role all` one (it used to answer 404 for schedules, which lived inside
 * the running scheduler).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { schedulesWire, statusWire, workersWire, queuesWire } from "../../src/ops/wire.ts";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { fetchWithin, waitFor } from "../helpers/wait.ts";

let project: Project;
let all: Server;
let api: Server;
let allUrl: string;
let apiUrl: string;

beforeAll(async () => {
  project = makeProject("qw-roles-");
  mkdirSync(join(project.dir, "config"));
  writeFileSync(join(project.dir, "config/qworker.json"), JSON.stringify({ schedules: [{ name: "hourly-noop", job: "noop", cron: "0 * * * *" }] }));
  all = startServer(["--admin-port", "0"], { cwd: project.dir });
  allUrl = await all.adminUrl();
  api = startServer(["--admin-port", "0", "--role", "api"], { cwd: project.dir });
  apiUrl = await api.adminUrl();
  expect((await qw(["enqueue", "noop", "--in", "600"], { cwd: project.dir })).code).toBe(0);
});

afterAll(async () => {
  for (const s of [all, api]) {
    s.kill("SIGKILL");
    await s.exited;
  }
  project.cleanup();
});

async function get(base: string, path: string): Promise<unknown> {
  const res = await fetchWithin(base + path);
  expect({ path, status: res.status }).toEqual({ path, status: 200 });
  return res.json();
}

describe("e2e: a --role api process answers every read like --role all", () => {
  test("GET /api/schedules: the catalogue and the leader, the same from both", async () => {
    // The leader is elected by the `all` process; wait until the store says so.
    await waitFor(async () => ((await get(allUrl, "/api/schedules")) as { leader: unknown }).leader, { what: "a scheduler leader" });
    const fromAll = schedulesWire.parse(await get(allUrl, "/api/schedules"));
    const fromApi = schedulesWire.parse(await get(apiUrl, "/api/schedules"));
    expect(fromApi.schedules).toEqual(fromAll.schedules);
    expect(fromApi.schedules.map((s) => s.name)).toEqual(["hourly-noop"]);
    expect(fromApi.leader?.holder).toBe(fromAll.leader?.holder);
  });

  test("GET /api/queues, /api/workers and /api/status: the same shapes and contents", async () => {
    const queues = [queuesWire.parse(await get(allUrl, "/api/queues")), queuesWire.parse(await get(apiUrl, "/api/queues"))];
    expect(queues[1]).toEqual(queues[0]);
    expect(queues[1].queues.find((q) => q.queue === "default")?.delayed).toBe(1);
    const workers = [workersWire.parse(await get(allUrl, "/api/workers")), workersWire.parse(await get(apiUrl, "/api/workers"))];
    expect(workers[1].workers.map((w) => w.id).sort()).toEqual(workers[0].workers.map((w) => w.id).sort());
    expect(workers[1].workers.length).toBe(1); // the api role runs no worker
    const status = [statusWire.parse(await get(allUrl, "/api/status")), statusWire.parse(await get(apiUrl, "/api/status"))];
    expect(status[1].queues).toEqual(status[0].queues);
    expect(status[1].store).toEqual(status[0].store);
  });
});
