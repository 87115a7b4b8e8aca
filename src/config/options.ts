/**
 * The options every command shares, in one table: the flag, its
 * `QWORKER_*` env twin, and where it lands in the config. yargs builds its
 * options from it and the loader maps env and flags through it, so a new
 * option is one line here.
 */

export interface SharedOption {
  flag: string;
  env: string;
  /** Config path; undefined for --config itself. */
  path?: string[];
  type: "string" | "number" | "list" | "boolean";
  describe: string;
}

export const SHARED_OPTIONS: SharedOption[] = [
  { flag: "config", env: "QWORKER_CONFIG", type: "string", describe: "config file (default: config/qworker.json if present)" },
  { flag: "jobs", env: "QWORKER_JOBS", path: ["jobs"], type: "string", describe: "folder of job modules (default ./jobs)" },
  { flag: "backend", env: "QWORKER_BACKEND", path: ["store", "backend"], type: "string", describe: "store: memory | sqlite | redis | postgres (default sqlite)" },
  { flag: "db", env: "QWORKER_DB", path: ["store", "db"], type: "string", describe: "SQLite file (default ./data/qworker.db)" },
  { flag: "redis-url", env: "QWORKER_REDIS_URL", path: ["store", "redisUrl"], type: "string", describe: "redis://, rediss://, redis-sentinel:// or redis-cluster:// URL" },
  { flag: "allow-eviction", env: "QWORKER_ALLOW_EVICTION", path: ["store", "allowEviction"], type: "boolean", describe: "accept a Redis whose maxmemory-policy may evict (and so lose) jobs" },
  { flag: "postgres-url", env: "QWORKER_POSTGRES_URL", path: ["store", "postgresUrl"], type: "string", describe: "postgres:// URL (backend postgres)" },
  { flag: "postgres-schema", env: "QWORKER_POSTGRES_SCHEMA", path: ["store", "postgresSchema"], type: "string", describe: "schema of qworker's tables (default qworker)" },
  { flag: "admin-host", env: "QWORKER_ADMIN_HOST", path: ["admin", "host"], type: "string", describe: "admin API host (default 127.0.0.1)" },
  { flag: "admin-port", env: "QWORKER_ADMIN_PORT", path: ["admin", "port"], type: "number", describe: "admin API port (default 7420)" },
  { flag: "admin-token", env: "QWORKER_ADMIN_TOKEN", path: ["admin", "token"], type: "string", describe: "bearer token for the admin API (visible in ps: prefer --admin-token-file)" },
  { flag: "admin-token-file", env: "QWORKER_ADMIN_TOKEN_FILE", path: ["admin", "tokenFile"], type: "string", describe: "file holding the admin token (or systemd's LoadCredential=admin-token)" },
  { flag: "log-format", env: "QWORKER_LOG_FORMAT", path: ["log", "format"], type: "string", describe: "auto | pretty | json (default auto: pretty on a terminal, else JSON lines)" },
  { flag: "log-level", env: "QWORKER_LOG_LEVEL", path: ["log", "level"], type: "string", describe: "debug | info | warn | error" },
];

/** Options only `qworker run` takes. */
export const RUN_OPTIONS: SharedOption[] = [
  { flag: "queues", env: "QWORKER_QUEUES", path: ["worker", "queues"], type: "list", describe: "queues to work, comma-separated, in priority order" },
  { flag: "concurrency", env: "QWORKER_CONCURRENCY", path: ["worker", "concurrency"], type: "number", describe: "jobs run at once per process (default 10)" },
  { flag: "role", env: "QWORKER_ROLE", path: ["worker", "role"], type: "string", describe: "all | worker | scheduler | api" },
  { flag: "mode", env: "QWORKER_MODE", path: ["worker", "mode"], type: "string", describe: "where jobs that set no mode run: async | thread | process (default async)" },
  { flag: "processes", env: "QWORKER_PROCESSES", path: ["worker", "processes"], type: "number", describe: "supervise N worker processes, 1-64" },
];

export const ALL_OPTIONS = [...SHARED_OPTIONS, ...RUN_OPTIONS];
