/**
 * Compile-time checks of the client's generics. The real assertions are the
 * `@ts-expect-error` lines below, which bun never checks (it strips types),
 * so the tests run tsc: on this file as it is (must compile), and on copies
 * with one directive removed each (the line under it must then be an
 * error). A typing that stops refusing something fails here, not only in
 * `npm run typecheck`. The calls themselves never run (no server).
 */

import { afterAll, beforeAll, expect, test } from "bun:test";
import type { SQL } from "bun";
import type pg from "pg";
import { QworkerClient, type EnqueueItem, type JobRecord } from "../../src/client.ts";
import { tscWorkspace, type TscResult } from "../helpers/tsc.ts";
import { within } from "../helpers/wait.ts";

type Jobs = {
  "send-email": { to: string; subject: string };
  cleanup: undefined;
  "maybe-data": { dryRun?: boolean } | undefined;
};

async function typed(client: QworkerClient<Jobs>): Promise<void> {
  await client.enqueue("send-email", { to: "a@b.co", subject: "hi" });
  await client.enqueue("send-email", { to: "a@b.co", subject: "hi" }, { in: 5, at: new Date(), queue: "low", key: "k" });
  await client.enqueue<"send-email">("send-email", { to: "a@b.co", subject: "hi" });
  await client.enqueue("cleanup");
  await client.enqueue("maybe-data");
  await client.enqueue("maybe-data", { dryRun: true });
  // @ts-expect-error unknown job name
  await client.enqueue("send-emial", { to: "a@b.co", subject: "hi" });
  // @ts-expect-error payload misses `subject`
  await client.enqueue("send-email", { to: "a@b.co" });
  // @ts-expect-error payload is required for send-email
  await client.enqueue("send-email");
  // @ts-expect-error unknown option
  await client.enqueue("cleanup", undefined, { delay: 5 });

  const items: EnqueueItem<Jobs>[] = [{ name: "send-email", data: { to: "x@y.z", subject: "s" } }, { name: "cleanup", priority: 1 }];
  await client.enqueueMany(items);
  // @ts-expect-error data does not match its name
  await client.enqueueMany([{ name: "send-email", data: { dryRun: true } }]);

  const job: JobRecord = await client.waitFor("id", { timeoutMs: 1_000, onProgress: (p) => p.pct.toFixed(0) });
  job.state satisfies "waiting" | "delayed" | "active" | "completed" | "failed" | "cancelled";
}

/** The transactional enqueue takes the app's own driver objects: a pg client inside BEGIN, or the tx of Bun's (or porsager's) sql.begin. */
async function transactional(client: QworkerClient<Jobs>, pgClient: pg.PoolClient, sql: SQL): Promise<void> {
  await client.enqueue("send-email", { to: "a@b.co", subject: "hi" }, { tx: pgClient, in: 5 });
  await client.enqueueMany([{ name: "cleanup" }], { tx: pgClient });
  await sql.begin(async (tx) => client.enqueue("cleanup", undefined, { tx }));
  // @ts-expect-error a transaction is a driver's client or tx, not SQL text
  await client.enqueue("cleanup", undefined, { tx: "BEGIN" });
}

async function untyped(client: QworkerClient): Promise<void> {
  await client.enqueue("anything", { any: "shape" });
  await client.enqueue("anything");
  await client.enqueueMany([{ name: "a", data: 1 }, { name: "b" }]);
}

const SELF = import.meta.path;
const DIRECTIVE = /^\s*\/\/ @ts-expect-error\b/;
const lines = (await Bun.file(SELF).text()).split("\n");
/** 1-based line numbers of the directives in this file. */
const directives = lines.flatMap((l, i) => (DIRECTIVE.test(l) ? [i + 1] : []));

const ws = tscWorkspace();
let asIs: Promise<TscResult>;
let mutants: { file: string; line: number; code: string }[];
let mutated: Promise<TscResult>;

beforeAll(() => {
  // Both tsc runs start at once; each test awaits its own.
  asIs = ws.check([SELF]);
  mutants = directives.map((line, i) => {
    const file = ws.copyWithEdit(SELF, `without-directive-${i + 1}.ts`, (text) => text.split("\n").filter((_, j) => j !== line - 1).join("\n"));
    // With the directive gone, the statement it guarded moves up onto the directive's line number.
    return { file, line, code: lines[line].trim() };
  });
  mutated = ws.check(mutants.map((m) => m.file));
});
afterAll(() => ws.cleanup());

test("tsc accepts this file as it is: the valid calls compile and every @ts-expect-error line is an error", async () => {
  const { code, output } = await within(asIs, 60_000, "tsc on types.test.ts");
  expect(output).toBe("");
  expect(code).toBe(0);
  expect(typeof typed).toBe("function");
  expect(typeof untyped).toBe("function");
  expect(typeof transactional).toBe("function");
}, 90_000);

test("with any one @ts-expect-error removed, tsc reports an error on the line it guarded", async () => {
  expect(directives.length).toBeGreaterThanOrEqual(5);
  const { diagnostics, output } = await within(mutated, 60_000, "tsc on the copies without a directive");
  for (const m of mutants) {
    const errors = diagnostics.filter((d) => d.file === m.file);
    expect({ statement: m.code, lines: [...new Set(errors.map((d) => d.line))] }).toEqual({ statement: m.code, lines: [m.line] });
  }
  expect(diagnostics.every((d) => mutants.some((m) => m.file === d.file)), output).toBe(true);
}, 90_000);
