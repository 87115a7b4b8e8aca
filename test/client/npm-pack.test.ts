/**
 * The client package, as a web app installs it: `npm run pack:client`,
 * `npm install` of the tarball into a plain Node project, then the app
 * imports "qworker-client" and enqueues over the admin API. Catches a
 * broken `exports` map, a missing file, a Bun-only import, and the server
 * creeping in: the install must bring no dependency at all (no ioredis, no
 * yargs, no cron-parser; zod is bundled), and the tarball stays small.
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { startHarness, type Harness } from "../admin/harness.ts";
import { describeNeeding, toolPath } from "../helpers/requirements.ts";

const ROOT = resolve(import.meta.dir, "../..");
const node = toolPath("node");
const npm = toolPath("npm");

/** Runs a command to completion, killed after `timeoutMs` so a stuck npm fails the test with its output. */
async function sh(cmd: string[], cwd: string, timeoutMs = 120_000): Promise<string> {
  const proc = Bun.spawn(cmd, { cwd, stdout: "pipe", stderr: "pipe", env: { ...process.env, npm_config_update_notifier: "false" }, timeout: timeoutMs });
  const [out, err, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
  if (proc.signalCode) throw new Error(`${cmd.join(" ")} was killed (${proc.signalCode}) after ${timeoutMs} ms:\n${out}\n${err}`);
  if (code !== 0) throw new Error(`${cmd.join(" ")} exited ${code}:\n${out}\n${err}`);
  return out;
}

describeNeeding("node", "npm")("the npm package in a plain Node project", () => {
  let dir: string;
  let tarball: string;
  let h: Harness;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "qw-pack-"));
    h = await startHarness();
    // All steps together stay under this hook's 180 s.
    await sh([process.execPath, "build.ts", "--client"], ROOT, 60_000);
    await sh([npm!, "pack", "./dist/client-package", "--pack-destination", dir], ROOT, 60_000);
    tarball = readdirSync(dir).find((f) => f.endsWith(".tgz"))!;
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
    await sh([npm!, "install", "--prefer-offline", "--no-audit", "--no-fund", join(dir, tarball)], dir, 80_000);
  }, 180_000);

  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test("the package is qworker-client, under 300 KB, and installs with no dependency of its own", () => {
    expect(tarball).toMatch(/^qworker-client-\d+\.\d+\.\d+\.tgz$/);
    expect(statSync(join(dir, tarball)).size).toBeLessThan(300 * 1024);
    expect(readdirSync(join(dir, "node_modules")).filter((d) => !d.startsWith("."))).toEqual(["qworker-client"]);
  });

  test("the app imports QworkerClient from 'qworker-client' under plain Node and enqueues a job; refusals arrive as ValidationError, UnknownJobError, NotFoundError by name", async () => {
    writeFileSync(
      join(dir, "app.mjs"),
      `import { QworkerClient, ValidationError } from "qworker-client";
       const qw = new QworkerClient({ url: process.argv[2] });
       const { id } = await qw.enqueue("send-email", { to: "a@b.co", subject: "from an app" });
       const bad = await qw.enqueue("send-email", { to: 1 }).catch((e) => e instanceof ValidationError);
       // The package is minified: error classes must still carry their own names.
       const names = await Promise.all([qw.enqueue("send-email", { to: 1 }), qw.enqueue("no-such-job", {}), qw.getJob("999999")].map((p) => p.catch((e) => e.name)));
       console.log(JSON.stringify({ id, bad, names, state: (await qw.getJob(id)).state }));
       await qw.close();`,
    );
    const out = JSON.parse(await sh([node!, "app.mjs", h.url], dir, 30_000));
    expect(out).toMatchObject({ bad: true, state: "waiting", names: ["ValidationError", "UnknownJobError", "NotFoundError"] });
    expect((await h.store.getJob(out.id))!.data).toEqual({ to: "a@b.co", subject: "from an app" });
  }, 60_000);
});
