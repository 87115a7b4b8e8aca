/**
 * The dashboard's in-browser payload check (src/admin/ui/schema-validate.ts)
 * against what zod itself decides: for schemas like the ones jobs declare,
 * turned into JSON Schema the way GET /api/job-types does, every payload
 * the browser refuses zod refuses too, and the everyday mistakes (a bad
 * email, a missing field, a wrong type, a number out of range) are caught
 * before anything is sent.
 */

import { expect, test } from "bun:test";
import { z } from "zod";
import { validate } from "../../src/admin/ui/schema-validate.ts";

const toJson = (s: z.ZodType) => z.toJSONSchema(s, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;

const email = z.object({ to: z.string().email(), subject: z.string().min(1), tags: z.array(z.string()).max(3).optional() });
const report = z.object({ month: z.string().regex(/^\d{4}-\d{2}$/), kind: z.enum(["pdf", "csv"]).default("pdf"), copies: z.number().int().min(1).max(10).default(1) });
const nested = z.object({ user: z.object({ id: z.number(), name: z.string().nullable() }), at: z.iso.datetime().optional(), mode: z.union([z.literal("a"), z.number()]) });

const cases: [string, z.ZodType, unknown, boolean][] = [
  ["valid email", email, { to: "a@b.co", subject: "hi" }, true],
  ["bad email", email, { to: "not-an-email", subject: "hi" }, false],
  ["missing subject", email, { to: "a@b.co" }, false],
  ["empty subject", email, { to: "a@b.co", subject: "" }, false],
  ["too many tags", email, { to: "a@b.co", subject: "s", tags: ["a", "b", "c", "d"] }, false],
  ["tag not a string", email, { to: "a@b.co", subject: "s", tags: [1] }, false],
  ["unknown key passes (zod strips it)", email, { to: "a@b.co", subject: "s", extra: true }, true],
  ["payload not an object", email, "hello", false],
  ["report ok, defaults left out", report, { month: "2026-05" }, true],
  ["month pattern", report, { month: "May" }, false],
  ["enum", report, { month: "2026-05", kind: "xls" }, false],
  ["integer", report, { month: "2026-05", copies: 1.5 }, false],
  ["range", report, { month: "2026-05", copies: 11 }, false],
  ["nested ok", nested, { user: { id: 1, name: null }, mode: "a" }, true],
  ["nested wrong type", nested, { user: { id: "1", name: "x" }, mode: 2 }, false],
  ["union miss", nested, { user: { id: 1, name: "x" }, mode: "b" }, false],
  ["datetime ok", nested, { user: { id: 1, name: "x" }, mode: 1, at: "2026-05-01T10:00:00Z" }, true],
  ["datetime bad", nested, { user: { id: 1, name: "x" }, mode: 1, at: "yesterday" }, false],
];

for (const [what, schema, payload, ok] of cases) {
  test(`${what}: the browser ${ok ? "accepts" : "refuses"} it, as zod does`, () => {
    const issues = validate(toJson(schema), payload);
    expect(schema.safeParse(payload).success).toBe(ok);
    expect({ what, issues: issues.length > 0 }).toEqual({ what, issues: !ok });
  });
}

test("issues name the field and say what is wrong", () => {
  const issues = validate(toJson(email), { to: "nope", tags: [1] });
  expect(issues).toEqual(
    expect.arrayContaining([
      { path: "to", message: "must be a valid email" },
      { path: "subject", message: "is required" },
      { path: "tags.0", message: "must be a string" },
    ]),
  );
});

test("a pattern the browser cannot compile lets the value through (the server decides); absurd nesting stops at a bound", () => {
  expect(validate({ type: "string", pattern: "(?<=a" }, "x")).toEqual([]);
  let deep: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 200; i++) deep = { type: "array", items: deep };
  let value: unknown = "x";
  for (let i = 0; i < 200; i++) value = [value];
  expect(() => validate(deep, value)).not.toThrow();
});

test("$ref into $defs is followed (zod emits them for shared and recursive schemas)", () => {
  const Node: z.ZodType<{ v: number; kids?: unknown[] }> = z.lazy(() => z.object({ v: z.number(), kids: z.array(Node).optional() }));
  const schema = toJson(z.object({ root: Node }));
  expect(validate(schema, { root: { v: 1, kids: [{ v: 2 }] } })).toEqual([]);
  expect(validate(schema, { root: { v: 1, kids: [{ v: "2" }] } }).length).toBeGreaterThan(0);
});
