/**
 * The README is tested (issue 18): in a copy of this checkout, the quick
 * start's shell commands run as a new user pastes them (`npm start` in one
 * terminal, each `npx qworker …` line in another, then Ctrl-C), and every
 * config block of the Configuration section is saved as
 * config/qworker.json and must pass `qworker validate`. Deviations from a
 * fresh machine, each because the suite itself stands for it: node_modules
 * is linked rather than installed by `npm ci`, the admin port is a free one
 * (QWORKER_ADMIN_PORT) so the suite never collides with a running
 * `npm start`, and the second set-up command, `npm test`, is this suite.
 */

import { afterAll, describe, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { freePort } from "../helpers/qworker-binary.ts";
import { fetchWithin, waitFor, within } from "../helpers/wait.ts";

const ROOT = resolve(import.meta.dir, "../..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");

/** The fenced blocks of one `## ` section, with their language. */
function blocks(section: string): { lang: string; text: string }[] {
  const start = README.indexOf(`\n## ${section}\n`);
  if (start < 0) throw new Error(`README has no "## ${section}" section`);
  const end = README.indexOf("\n## ", start + 1);
  const body = README.slice(start, end < 0 ? undefined : end);
  return [...body.matchAll(/```(\w*)\n([\s\S]*?)```/g)].map((m) => ({ lang: m[1], text: m[2] }));
}

/** The command of each line of a shell block, without its trailing `# comment`. */
function commands(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.replace(/\s+#.*$/, "").trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

const dir = mkdtempSync(join(tmpdir(), "qw-readme-"));
const clone = join(dir, "qworker");
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The checked-in files, as a fresh clone has them (no data/, no dist/, no node_modules). */
function makeClone(): void {
  const files = Bun.spawnSync(["git", "ls-files", "-co", "--exclude-standard"], { cwd: ROOT }).stdout.toString().split("\n").filter(Boolean);
  for (const f of files) {
    if (f.startsWith("node_modules/") || f.startsWith("dist/") || f.startsWith("data/")) continue;
    try {
      mkdirSync(dirname(join(clone, f)), { recursive: true });
      cpSync(join(ROOT, f), join(clone, f));
    } catch {
      // a file listed but deleted in the working tree
    }
  }
  symlinkSync(join(ROOT, "node_modules"), join(clone, "node_modules"));
}

function sh(command: string, env: Record<string, string>) {
  return Bun.spawn(["bash", "-c", command], {
    cwd: clone,
    env: { ...process.env, ...env, NO_COLOR: "1", QWORKER_LOG_FORMAT: "pretty" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
}

async function run(command: string, env: Record<string, string>): Promise<{ code: number; out: string }> {
  const p = sh(command, env);
  const [out, err, code] = await Promise.all([new Response(p.stdout).text(), new Response(p.stderr).text(), within(p.exited, 60_000, command)]);
  return { code, out: out + err };
}

describe("e2e: the README's own commands and config", () => {
  test("the README opens with exactly two set-up commands: npm ci && npm start, and npm test", () => {
    const first = README.match(/```sh\n([\s\S]*?)```/)!;
    expect(README.indexOf(first[0])).toBeLessThan(README.indexOf("\n## "));
    expect(commands(first[1])).toEqual(["npm ci && npm start", "npm test"]);
  });

  test("quick start: npm start in one terminal, every npx qworker line in another exits 0, Ctrl-C stops qworker gracefully", async () => {
    makeClone();
    const [shell] = blocks("Quick start").filter((b) => b.lang === "sh");
    const lines = commands(shell.text);
    expect(lines[0]).toBe("npm ci && npm start");
    const env = { QWORKER_ADMIN_PORT: String(freePort()) };
    // `npm ci` is what gave this checkout its node_modules; the server is `npm start`,
    // in a process group of its own, as a terminal's foreground job.
    const server = spawn("npm", ["start"], { cwd: clone, env: { ...process.env, ...env, NO_COLOR: "1", QWORKER_LOG_FORMAT: "pretty" }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    server.stdout!.on("data", (c: Buffer) => (log += c.toString()));
    server.stderr!.on("data", (c: Buffer) => (log += c.toString()));
    // The pipes close when the last process holding them, qworker itself, has exited.
    const closed = new Promise<void>((res) => server.on("close", () => res()));
    try {
      await waitFor(() => log.includes("qworker ready"), { what: "npm start to be ready", timeoutMs: 60_000 });
      expect((await fetchWithin(`http://127.0.0.1:${env.QWORKER_ADMIN_PORT}/health`)).status).toBe(200);
      for (const line of lines.slice(1)) {
        const r = await run(line, env);
        expect({ line, code: r.code, out: r.code === 0 ? "" : r.out }).toEqual({ line, code: 0, out: "" });
        if (line.includes("--wait")) expect(r.out).toContain("completed");
      }
      // Ctrl-C: the terminal sends SIGINT to the whole foreground process group (npm and the qworker it started).
      // npm itself dies of it, as in a terminal; qworker drains and says so.
      process.kill(-server.pid!, "SIGINT");
      await within(closed, 30_000, "qworker to stop after Ctrl-C");
      expect(log).toContain("SIGINT received");
      expect(log).toMatch(/\bstopped\b/);
    } finally {
      try {
        process.kill(-server.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }, 180_000);

  test("every config block in the Configuration section passes qworker validate as config/qworker.json", async () => {
    const configs = blocks("Configuration").filter((b) => b.lang === "json" || b.lang === "jsonc");
    expect(configs.length).toBeGreaterThan(0);
    mkdirSync(join(clone, "config"), { recursive: true });
    for (const { text } of configs) {
      writeFileSync(join(clone, "config", "qworker.json"), text);
      const r = await run("npx qworker validate", {});
      expect({ code: r.code, out: r.code === 0 ? "" : r.out }).toEqual({ code: 0, out: "" });
    }
  }, 120_000);
});
