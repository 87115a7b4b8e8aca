/**
 * The checks `validate` and `run` share, so that what `validate` passes,
 * `run` accepts: the job modules and schedules (Registry.load, which vets
 * each module in a throwaway thread first) and the settings that only
 * matter to a running server, such as an admin API bound to a public
 * address without a token. The config file itself was already checked by
 * the loader, for every command. What needs the store (it is reachable,
 * Redis keeps its keys) cannot be known without opening it, which
 * `validate` never does; `run` checks that when it opens the store.
 */

import type { Config } from "../config/schema.ts";
import { Registry, type LoadProblem } from "../registry/registry.ts";
import { isLoopbackHost } from "../admin/server.ts";

/** Problems a server started with this config would refuse to start on, besides the job modules'. */
export function serverConfigProblems(config: Config, configFile: string | undefined): LoadProblem[] {
  const file = configFile ?? "config";
  const problems: LoadProblem[] = [];
  const { admin, worker } = config;
  for (const queue of Object.keys(config.queueLimits)) {
    if (!config.queues.includes(queue)) problems.push({ file, reason: `queueLimits.${queue}: "${queue}" is not a configured queue (${config.queues.join(", ")})` });
  }
  const servesAdmin = admin.enabled && (worker.role === "all" || worker.role === "api");
  if (servesAdmin && admin.token === undefined && !isLoopbackHost(admin.host)) {
    problems.push({
      file,
      reason:
        `admin.host is ${admin.host}, a public address, and admin.token is not set: anyone who can reach it could enqueue, cancel and delete jobs; ` +
        `set admin.token / QWORKER_ADMIN_TOKEN (16+ characters) or bind to 127.0.0.1`,
    });
  }
  return problems;
}

/** Loads the job modules and checks the config as `run` will; never throws for a bad module (see `problems`). */
export async function checkSetup(config: Config, configFile: string | undefined, opts: { reload?: boolean; signal?: AbortSignal } = {}): Promise<{ registry: Registry; problems: LoadProblem[] }> {
  const registry = await Registry.load({
    dir: config.jobs,
    queues: config.queues,
    queueLimits: config.queueLimits,
    schedules: config.schedules,
    configFile,
    loadTimeoutMs: config.jobLoadTimeout,
    reload: opts.reload,
    signal: opts.signal,
  });
  return { registry, problems: [...serverConfigProblems(config, configFile), ...registry.problems, ...unenforcedFlowProblems(config, configFile, registry)] };
}

/**
 * The PostgreSQL store does not enforce flow control yet. A limit that is
 * accepted and then not applied would let a job overrun the API or the
 * customer it protects, so a server on that store refuses to start with
 * one, naming where it is set.
 */
function unenforcedFlowProblems(config: Config, configFile: string | undefined, registry: Registry): LoadProblem[] {
  if (config.store.backend !== "postgres") return [];
  const why = "is not enforced on the postgres store yet (memory, sqlite and redis enforce it): remove it or use another store";
  const problems: LoadProblem[] = Object.keys(config.queueLimits).map((queue) => ({ file: configFile ?? "config", reason: `queueLimits.${queue} ${why}` }));
  for (const entry of registry.list()) {
    const flow = entry.flow;
    if (!flow) continue;
    const set = (["concurrency", "rateLimit", "group"] as const).filter((k) => flow[k] !== undefined);
    if (set.length) problems.push({ file: entry.file, reason: `job "${entry.name}": ${set.join(", ")} ${why}` });
  }
  return problems;
}
