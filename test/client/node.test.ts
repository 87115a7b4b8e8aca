/**
 * The client must work from plain Node ≥ 20: bundle src/client.ts for
 * Node, check nothing in it reaches for Bun, and drive an AdminServer from
 * a `node` child process. Skipped when no `node` is installed (a failure in
 * CI: test/helpers/requirements.ts).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startHarness, type Harness } from "../admin/harness.ts";
import { describeNeeding, toolPath } from "../helpers/requirements.ts";

const node = toolPath("node");
const CLIENT = join(import.meta.dir, "../../src/client.ts");

describeNeeding("node")("client under Node", () => {
  let dir: string;
  let h: Harness;
  let outputs: string[];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "qw-client-node-"));
    const built = await Bun.build({ entrypoints: [CLIENT], target: "node", format: "esm", outdir: dir, splitting: true });
    if (!built.success) throw new AggregateError(built.logs, "bundling src/client.ts for node failed");
    outputs = built.outputs.map((o) => o.path);
    h = await startHarness({ token: "node-client-token-1234" });
  });

  afterAll(async () => {
    await h?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test("the bundle (lazy Redis chunk included) references no Bun API", () => {
    for (const file of outputs) {
      const text = readFileSync(file, "utf8");
      expect({ file, bun: text.match(/["']bun:[a-z]+["']|from ["']bun["']|\bBun\.[A-Za-z]+/g) }).toEqual({ file, bun: null });
    }
  });

  test("enqueue, typed errors, getJob and waitFor timeout work in node", async () => {
    const script = join(dir, "main.mjs");
    writeFileSync(
      script,
      `
      import { QworkerClient, ValidationError, NotFoundError, WaitTimeoutError } from "./client.js";
      const client = new QworkerClient({ url: process.argv[2], token: process.argv[3] });
      const out = { node: process.versions.node };
      out.enqueued = await client.enqueue("send-email", { to: "a@b.co", subject: "from node" });
      out.job = (await client.getJob(out.enqueued.id)).state;
      out.invalid = await client.enqueue("send-email", { to: 1 }).catch((e) => e instanceof ValidationError && e.message);
      out.missing = await client.getJob("nope").catch((e) => e instanceof NotFoundError);
      out.timeout = await client.waitFor(out.enqueued.id, { timeoutMs: 30, pollMs: 5 }).catch((e) => e instanceof WaitTimeoutError);
      await client.close();
      console.log(JSON.stringify(out));
      `,
    );
    const proc = Bun.spawn([node!, script, h.url, "node-client-token-1234"], { stdout: "pipe", stderr: "pipe", timeout: 30_000 });
    const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    const out = JSON.parse(stdout);
    expect(Number(out.node.split(".")[0])).toBeGreaterThanOrEqual(20);
    expect(out.enqueued.deduplicated).toBe(false);
    expect(out.job).toBe("waiting");
    expect(out.invalid).toContain("to: ");
    expect(out.missing).toBe(true);
    expect(out.timeout).toBe(true);
    expect(await h.store.getJob(out.enqueued.id)).toMatchObject({ data: { to: "a@b.co", subject: "from node" } });
    expect(await h.jobCount()).toBe(1);
  });
});
