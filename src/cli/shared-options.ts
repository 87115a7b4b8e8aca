/**
 * Registers the store/config options every command takes, and the worker
 * options of `run`, from the one table in src/config/options.ts. Values
 * are left undefined when not given, so env and file can fill them.
 */

import type { Argv } from "yargs";
import { RUN_OPTIONS, SHARED_OPTIONS, type SharedOption } from "../config/options.ts";

function add(y: Argv, options: SharedOption[], group: string): Argv {
  for (const o of options) {
    y = y.option(o.flag, {
      type: o.type === "number" ? "number" : o.type === "boolean" ? "boolean" : "string",
      describe: `${o.describe} [env ${o.env}]`,
      group,
    });
  }
  return y;
}

export function addSharedOptions(y: Argv): Argv {
  return add(y, SHARED_OPTIONS, "Store and config:");
}

export function addRunOptions(y: Argv): Argv {
  return add(y, RUN_OPTIONS, "Workers:");
}
