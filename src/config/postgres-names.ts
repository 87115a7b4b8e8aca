/**
 * What a PostgreSQL schema name may be, kept with the config that checks
 * it: the config validates `store.postgresSchema` without loading the
 * store, and the store (store/postgres/names.ts) derives its SQL names
 * from the same rule.
 */

/** Short, lower-case identifiers that need no quoting tricks anywhere (also the NOTIFY channel's stem). */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,39}$/;

export const DEFAULT_SCHEMA = "qworker";
