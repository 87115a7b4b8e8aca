/**
 * Start-up warnings about the PostgreSQL server qworker runs on: settings
 * under which acknowledged jobs can be lost. `qworker run` logs them;
 * nothing here refuses to start.
 */

export interface ServerSettings {
  fsync: string;
  sync: string;
  version: number;
  version_text: string;
}

export function serverWarnings(row: ServerSettings): string[] {
  const warnings: string[] = [];
  if (row.fsync === "off") warnings.push("PostgreSQL runs with fsync = off: a crash of the server can lose or corrupt acknowledged jobs; turn it on");
  if (row.sync === "off") warnings.push("PostgreSQL runs with synchronous_commit = off: a crash of the server can lose the last acknowledged enqueues");
  if (row.version < 130_000) warnings.push(`PostgreSQL ${row.version_text} is older than 13, the oldest version qworker is built for`);
  return warnings;
}
