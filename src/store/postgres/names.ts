/**
 * The names derived from the schema qworker's PostgreSQL tables live
 * under. The rule for the schema name itself is the config's
 * (config/postgres-names.ts).
 */

import { DEFAULT_SCHEMA, SCHEMA_NAME } from "../../config/postgres-names.ts";
import { ConfigError } from "../../core/errors.ts";

export { DEFAULT_SCHEMA };

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
