/**
 * `qworker schedules` and GET /api/schedules: next run, last run and its
 * outcome, the leader; pausing one schedule from the CLI stops its slots.
 */

import { describe, expect, test } from "bun:test";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { makeProject, qw, startServer } from "../helpers/qworker-binary.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

describe("e2e: schedules", () => {
  test("list, pause and resume a schedule; bad names and bad cron are refused", async () => {
    const project = makeProject();
    mkdirSync(join(project.dir, "config"), { recursive: true });
    writeFileSync(
      join(project.dir, "config/qworker.json"),
      JSON.stringify({ schedules: [{ name: "every-second", job: "noop", cron: "* * * * * *" }, { name: "nightly", job: "noop", cron: "0 3 * * *", timezone: "Europe/Berlin" }] }),
    );
    const server = startServer(["--admin-port", "0"], { cwd: project.dir });
    try {
      const url = await server.adminUrl();
      const listed = await waitFor(async () => {
        const r = await qw(["schedules", "--json"], { cwd: project.dir });
        const body = JSON.parse(r.stdout);
        const tick = body.schedules.find((s: { name: string }) => s.name === "every-second");
        return tick?.lastOutcome === "completed" ? body : undefined;
      }, { what: "the every-second schedule to complete a run" });
      expect(listed.leader.holder).toMatch(/-\d+$/);
      const nightly = listed.schedules.find((s: { name: string }) => s.name === "nightly");
      expect(nightly).toMatchObject({ job: "noop", cron: "0 3 * * *", timezone: "Europe/Berlin", paused: false });
      expect(new Date(nightly.nextRun).getUTCHours() % 24).toBeGreaterThanOrEqual(1);

      const text = await qw(["schedules"], { cwd: project.dir });
      expect(text.stdout).toContain("every-second");
      expect(text.stdout).toContain("leader:");

      expect((await qw(["schedules", "pause", "every-second"], { cwd: project.dir })).stdout).toBe("schedule every-second paused\n");
      const api = (await (await fetchWithin(`${url}/api/schedules`)).json()) as { schedules: { name: string; paused: boolean; lastSlot: number; lastJobId: string }[] };
      const paused = api.schedules.find((s) => s.name === "every-second")!;
      expect(paused.paused).toBe(true);
      // While paused the scheduler moves past slots (so a resume does not replay them) but enqueues none.
      const tickState = async () =>
        JSON.parse((await qw(["schedules", "--json"], { cwd: project.dir })).stdout).schedules.find((s: { name: string }) => s.name === "every-second");
      await waitFor(async () => (await tickState()).lastSlot >= paused.lastSlot + 2_000, { what: "two paused slots to pass", intervalMs: 250 });
      expect((await tickState()).lastJobId).toBe(paused.lastJobId);
      const countBefore = JSON.parse((await qw(["jobs", "list", "--name", "noop", "--limit", "1000", "--json"], { cwd: project.dir })).stdout).jobs.length;

      expect((await qw(["schedules", "resume", "every-second"], { cwd: project.dir })).code).toBe(0);
      await waitFor(async () => (await tickState()).lastJobId !== paused.lastJobId, { what: "slots to resume" });
      const countAfter = JSON.parse((await qw(["jobs", "list", "--name", "noop", "--limit", "1000", "--json"], { cwd: project.dir })).stdout).jobs.length;
      expect(countAfter).toBeGreaterThan(countBefore);

      const unknown = await qw(["schedules", "pause", "nope"], { cwd: project.dir });
      expect(unknown.code).toBe(2);
      expect(unknown.stderr).toContain("nope");
      const noName = await qw(["schedules", "pause"], { cwd: project.dir });
      expect(noName.code).toBe(2);
    } finally {
      server.kill("SIGTERM");
      await within(server.exited, 30_000);
    }

    writeFileSync(join(project.dir, "config/qworker.json"), JSON.stringify({ schedules: [{ job: "noop", cron: "* * *", timezone: "Mars/Olympus" }] }));
    const badRun = await qw(["run", "--admin-port", "0"], { cwd: project.dir });
    expect(badRun.code).toBe(2);
    expect(badRun.stderr).toMatch(/schedules\[0\]/);
    project.cleanup();
  }, 90_000);
});
