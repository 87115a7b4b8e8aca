/**
 * Secrets stay secret (issue 17): an admin token given by file reaches no
 * process's command line (the server's nor its supervised workers'), no
 * log line and no `info`; a token on the command line works but is warned
 * about; a store URL's password is in no error message.
 */

import { afterEach, describe, expect, test } from "bun:test";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, makeProject, qw, startServer, type Project, type Server } from "../helpers/qworker-binary.ts";
import { fetchWithin, waitFor } from "../helpers/wait.ts";

let project: Project | undefined;
let server: Server | undefined;
afterEach(async () => {
  server?.kill("SIGKILL");
  await server?.exited;
  project?.cleanup();
  project = server = undefined;
});

/** The pid and every descendant's, from /proc. */
function processTree(root: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = [root];
  for (let i = 0; i < tree.length; i++) for (const [pid, ppid] of parentOf) if (ppid === tree[i]) tree.push(pid);
  return tree;
}

const cmdline = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
};

describe("e2e: secrets", () => {
  test("a token from --admin-token-file works, and is in no command line of the server or its 2 supervised workers, no log line and no info", async () => {
    project = makeProject("qw-secrets-");
    const token = "file-token-a1b2c3d4e5f6g7h8";
    const tokenFile = join(project.dir, "admin-token");
    writeFileSync(tokenFile, `${token}\n`, { mode: 0o600 });
    server = startServer(["--admin-port", "0", "--admin-token-file", tokenFile, "--processes", "2"], { cwd: project.dir });
    const url = await server.adminUrl();
    const s = server;
    await waitFor(() => processTree(s.proc.pid).filter((pid) => cmdline(pid).includes("__worker")).length >= 2, { what: "the two worker processes to start" });
    for (const pid of processTree(server.proc.pid)) expect(cmdline(pid)).not.toContain(token);
    expect((await fetchWithin(`${url}/api/queues`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect((await fetchWithin(`${url}/api/queues`)).status).toBe(401);
    const info = await qw(["info", "--admin-token-file", tokenFile], { cwd: project.dir });
    expect(info.code).toBe(0);
    expect(info.stdout + info.stderr).not.toContain(token);
    expect(server.log()).not.toContain(token);
  });

  test("a token on the command line works, is warned about (ps shows it), and never reaches the log", async () => {
    project = makeProject("qw-secrets-flag-");
    const token = "flag-token-z9y8x7w6v5u4t3s2";
    server = startServer(["--admin-port", "0", "--admin-token", token], { cwd: project.dir });
    const url = await server.adminUrl();
    expect((await fetchWithin(`${url}/api/queues`, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
    expect(server.log()).toContain("--admin-token-file");
    expect(server.log()).not.toContain(token);
  });

  test("a Redis URL's password is in no error of a command that cannot reach it, nor in info", async () => {
    project = makeProject("qw-secrets-redis-");
    const password = "hunter2-redis-password-xyz";
    const redisUrl = `redis://:${password}@127.0.0.1:${freePort()}/0`;
    const status = await qw(["status", "--backend", "redis", "--redis-url", redisUrl], { cwd: project.dir, timeoutMs: 60_000 });
    expect(status.code).toBe(3);
    expect(status.stdout + status.stderr).not.toContain(password);
    const info = await qw(["info", "--backend", "redis", "--redis-url", redisUrl], { cwd: project.dir });
    expect(info.stdout + info.stderr).not.toContain(password);
  });
});
