/**
 * Reloading job modules and the config's schedules in place, for SIGHUP
 * (`systemctl reload`) and `run --watch`. The new modules are loaded and
 * checked beside the old ones; only when every check passes do the worker
 * pool, the scheduler and the operations switch to them. Jobs already
 * running finish on the code they started with; jobs claimed afterwards
 * run the new code; nothing is dropped or run twice, since a reload never
 * touches the store. A reload that fails its checks changes nothing: the
 * old code keeps serving, the log says why, and /health shows it.
 *
 * What a reload cannot change in place (the store, the admin address, the
 * role, mode, concurrency, the queue list) is named in a warning: those
 * need a restart.
 */

import type { Config } from "../config/schema.ts";
import type { Logger } from "../core/logger.ts";
import { Registry, type LoadProblem } from "../registry/registry.ts";

export interface ReloadState {
  ok: boolean;
  /** Epoch ms of the last reload attempt. */
  at: number;
  /** What kept the last attempt from taking effect. */
  problems?: LoadProblem[];
  /** Settings that changed but need a restart. */
  needsRestart?: string[];
}

export interface ReloadTarget {
  config: Config;
  configFile?: string;
  log: Logger;
  /** Re-reads the config (flags, env and file, as at start); throws ConfigError for a bad one. */
  readConfig?(): { config: Config; file?: string };
  /** Puts the checked registry to work. */
  apply(registry: Registry): void;
}

export class Reloader {
  private inFlight: Promise<ReloadState> | undefined;
  private again = false;
  last: ReloadState | undefined;

  constructor(private readonly target: ReloadTarget) {}

  /** One reload at a time; a request during one runs once more after it, so no edit is missed. */
  reload(): Promise<ReloadState> {
    if (this.inFlight) {
      this.again = true;
      return this.inFlight;
    }
    this.inFlight = (async () => {
      let state: ReloadState;
      do {
        this.again = false;
        state = await this.once();
      } while (this.again);
      return state;
    })().finally(() => (this.inFlight = undefined));
    return this.inFlight;
  }

  private async once(): Promise<ReloadState> {
    const { log } = this.target;
    const at = Date.now();
    let config = this.target.config;
    let configFile = this.target.configFile;
    const needsRestart: string[] = [];
    if (this.target.readConfig) {
      try {
        ({ config, file: configFile } = this.target.readConfig());
      } catch (err) {
        return this.failed(at, [{ file: configFile ?? "config", reason: (err as Error).message }]);
      }
      needsRestart.push(...restartOnly(this.target.config, config));
    }
    // The queue list is fixed until a restart: job modules are checked against the running one.
    const registry = await Registry.load({ dir: this.target.config.jobs, queues: this.target.config.queues, queueLimits: this.target.config.queueLimits, schedules: config.schedules, configFile, reload: true, loadTimeoutMs: this.target.config.jobLoadTimeout });
    if (registry.problems.length) return this.failed(at, registry.problems);
    this.target.apply(registry);
    if (needsRestart.length) log.warn("config changes that need a restart to take effect", { settings: needsRestart.join(", ") });
    log.info("reloaded job modules and schedules", { jobs: registry.names().length, schedules: registry.schedules.length });
    this.last = { ok: true, at, ...(needsRestart.length ? { needsRestart } : {}) };
    return this.last;
  }

  private failed(at: number, problems: LoadProblem[]): ReloadState {
    this.target.log.error("reload refused: the running job modules stay in place", {
      problems: problems.map((p) => `${p.file}: ${p.reason}`).join("; "),
    });
    this.last = { ok: false, at, problems };
    return this.last;
  }
}

/** Settings a reload cannot apply to a running process. */
function restartOnly(before: Config, after: Config): string[] {
  const fields: [string, (c: Config) => unknown][] = [
    ["store", (c) => c.store],
    ["admin", (c) => c.admin],
    ["queues", (c) => c.queues],
    ["jobs", (c) => c.jobs],
    ["worker.role", (c) => c.worker.role],
    ["worker.mode", (c) => c.worker.mode],
    ["worker.concurrency", (c) => c.worker.concurrency],
    ["worker.queues", (c) => c.worker.queues],
    ["worker.lease", (c) => c.worker.lease],
    ["scheduler", (c) => c.scheduler],
    ["retention", (c) => c.retention],
  ];
  return fields.filter(([, get]) => JSON.stringify(get(before)) !== JSON.stringify(get(after))).map(([name]) => name);
}
