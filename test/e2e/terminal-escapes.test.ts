/**
 * Untrusted text reaches every terminal output inert: a payload, progress
 * message, log line and error carrying an OSC title change, a BEL and a
 * clear-screen sequence (plus C1 CSI and DEL) is shown as visible escapes
 * by `jobs show`, `jobs list`, `status`, `enqueue --wait` and the pretty
 * server log; JSON output stays valid JSON with the bytes \u-escaped.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { within } from "../helpers/wait.ts";

const EVIL = "\x1b]0;PWNED\x07\x1b[2J\u009b31m\x7f\rforged";
/** Any C0 (but the newline that ends lines), DEL or C1 character. */
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f]/;

describe("e2e: job text is made inert at every terminal output", () => {
  let project: Project;
  let server: Server;
  let id: string;
  let waitOut: { code: number; stdout: string; stderr: string };

  beforeAll(async () => {
    project = makeProject();
    // --log-format pretty: the format a person reads in a terminal.
    server = startServer(["--admin-port", "0", "--log-format", "pretty"], { cwd: project.dir });
    await server.adminUrl();
    waitOut = await qw(["enqueue", "hostile", "--data", JSON.stringify({ text: EVIL }), "--wait"], { cwd: project.dir });
    id = /^(\d+) failed/m.exec(waitOut.stdout)?.[1] ?? "";
  });

  afterAll(async () => {
    server.kill("SIGKILL");
    await within(server.exited, 10_000, "the killed server to exit");
    project.cleanup();
  });

  test("enqueue --wait: progress lines and the final error are escaped", () => {
    expect(waitOut.code).toBe(1);
    expect(id).not.toBe("");
    expect(waitOut.stderr).toContain("\\x1b]0;PWNED\\x07\\x1b[2J");
    expect(waitOut.stdout).toContain("failed for \\x1b]0;PWNED\\x07\\x1b[2J\\x9b31m\\x7f\\rforged");
    expect(waitOut.stdout + waitOut.stderr).not.toMatch(RAW_CONTROL);
  });

  test("jobs show: payload, progress and error are escaped", async () => {
    const r = await qw(["jobs", "show", id], { cwd: project.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("\\x1b]0;PWNED");
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    expect(r.stdout.split("\n").some((l) => l.startsWith("forged"))).toBe(false);
  });

  test("jobs list: the last-error column is escaped", async () => {
    const r = await qw(["jobs", "list"], { cwd: project.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("failed for \\x1b]0;PWNED");
    expect(r.stdout).not.toMatch(RAW_CONTROL);
  });

  test("status has no raw control characters", async () => {
    const r = await qw(["status"], { cwd: project.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(RAW_CONTROL);
  });

  test("JSON output is valid JSON that carries the text exactly, with no raw control bytes", async () => {
    const r = await qw(["jobs", "show", id, "--json"], { cwd: project.dir });
    expect(r.stdout).not.toMatch(RAW_CONTROL);
    const job = JSON.parse(r.stdout);
    expect(job.data.text).toBe(EVIL);
    expect(job.progress.msg).toBe(EVIL);
  });

  test("the pretty server log: the job's log line and its failure are escaped", async () => {
    await server.waitForLine(/job failed/);
    const log = server.log();
    expect(log).toContain("\\x1b]0;PWNED\\x07\\x1b[2J");
    expect(log).not.toMatch(RAW_CONTROL);
  });
});
