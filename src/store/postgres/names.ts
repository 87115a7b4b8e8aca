/**
 * The schema name qworker's PostgreSQL tables live under, and the names
 * derived from it. Apart from schema.ts so the config can check a name
 * without loading the migrations.
 */

import { ConfigError } from "../../core/errors.ts";

/** Schema names qworker accepts: short, lower-case identifiers that need no quoting tricks anywhere (also the NOTIFY channel's stem). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

export const DEFAULT_SCHEMA = "qworker";

/** Names derived from the schema, all safe to splice into SQL. */
export interface SchemaNames {
  /** The bare name, e.g. `qworker`. */
  name: string;
  /** Quoted for SQL: `"qworker"`. */
  q: string;
  /** The LISTEN/NOTIFY channel, e.g. `qworker_wake`. */
  channel: string;
}

export function schemaNames(name: string): SchemaNames {
  if (!SCHEMA_NAME.test(name)) {
    throw new ConfigError(`PostgreSQL schema name "${name}" is not allowed: use 1-40 lower-case letters, digits and "_", not starting with a digit`);
  }
  return { name, q: `"${name}"`, channel: `${name}_wake` };
}
