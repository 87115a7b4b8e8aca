/**
 * The loaded jobs as the dashboard's enqueue form sees them: defaults and
 * the payload schema, turned from zod into JSON Schema (`z.toJSONSchema`,
 * input side: what a caller may send, defaults optional). Job modules get
 * the binary's own zod through the "qworker" module, so every schema
 * converts; a type JSON Schema cannot express (a transform's output, a
 * custom refinement) becomes "any value" there, and the server's check on
 * enqueue still applies.
 */

import { z } from "zod";
import type { Registry } from "../registry/registry.ts";
import type { JobTypeInfo } from "./operations.ts";

export function describeJobTypes(registry: Registry): JobTypeInfo[] {
  return registry.names().map((name) => {
    const e = registry.get(name);
    const info: JobTypeInfo = { name, queue: e.queue, attempts: e.attempts, priority: e.priority, timeoutMs: e.timeoutMs, unique: e.unique !== undefined };
    if (e.cron) info.cron = e.cron.expression;
    const schema = e.schema ? jsonSchemaOf(e.schema) : undefined;
    if (schema) info.schema = schema;
    return info;
  });
}

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> | undefined {
  try {
    return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" }) as Record<string, unknown>;
  } catch {
    // A schema zod cannot describe (a cycle it refuses): the form falls back to a JSON text box.
    return undefined;
  }
}
