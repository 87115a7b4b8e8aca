/**
 * `run --watch`, for development: a job file added, edited or removed in
 * the jobs folder, or an edit of the config file, reloads the job modules
 * and schedules in place (src/app/reload.ts), without a restart and without
 * losing or re-running a job. Editors save in bursts (temp file, rename,
 * chmod), so changes are gathered for a moment before one reload.
 */

import { watch, type FSWatcher } from "node:fs";
import { basename, dirname } from "node:path";
import type { Runtime } from "../app/runtime.ts";
import type { Logger } from "../core/logger.ts";

const SETTLE_MS = 200;

export function watchForReload(runtime: Runtime, jobsDir: string, configFile: string | undefined, log: Logger): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const changed = new Set<string>();
  const schedule = (what: string) => {
    changed.add(what);
    clearTimeout(timer);
    timer = setTimeout(() => {
      const files = [...changed].sort();
      changed.clear();
      log.info("files changed: reloading", { files: files.join(", ") });
      void runtime.reload();
    }, SETTLE_MS);
  };
  const watchers: FSWatcher[] = [];
  watchers.push(watch(jobsDir, (_event, file) => file && /\.(ts|js|mjs|mts)$/.test(String(file)) && schedule(String(file))));
  if (configFile) {
    // The folder, not the file: an editor that saves by rename would otherwise leave us watching the old inode.
    const name = basename(configFile);
    watchers.push(watch(dirname(configFile), (_event, file) => String(file) === name && schedule(name)));
  }
  log.info("watching for changes", { jobs: jobsDir, config: configFile });
  return () => {
    clearTimeout(timer);
    for (const w of watchers) w.close();
  };
}
