/**
 * The side of thread and process modes that runs inside the worker thread
 * or the child process: it loads job modules (each once, on first use, and
 * keeps them), runs one try at a time with a `ctx` of the same shape as in
 * async mode, and reports back over its port (postMessage for a thread,
 * IPC for a child). It holds no store and no timers of its own: the pool
 * that owns it times the try, forwards aborts (timeout, cancel, shutdown),
 * stores progress, logs and results, and enqueues follow-up jobs.
 */

import { toError } from "../../core/errors.ts";
import { safeJson } from "../../core/inert.ts";
import { parsePayload, type JobEntry } from "../../registry/job-entry.ts";
import { installSdkPlugin } from "../../registry/sdk-plugin.ts";
import { isJobDefinition, type EnqueueOptions, type JobContext, type JobDefinition, type JobLogger } from "../../sdk/define-job.ts";
import { RateLimited, Unrecoverable } from "../../sdk/errors.ts";
import { clampPct, toJsonResult } from "../execute.ts";
import { fromWireError, toWireError, toWireOptions, type FromHost, type RunMessage, type ToHost } from "./wire.ts";

export interface HostPort {
  send(msg: FromHost): void;
  listen(fn: (msg: ToHost) => void): void;
}

interface Current {
  id: string;
  controller: AbortController;
  enqueues: Map<number, { resolve(id: string): void; reject(err: Error): void }>;
}

export function runJobHost(port: HostPort): void {
  installSdkPlugin();
  const modules = new Map<string, Promise<JobDefinition>>();
  let current: Current | undefined;
  let nextReq = 1;

  const load = (file: string): Promise<JobDefinition> => {
    let loading = modules.get(file);
    if (!loading) {
      loading = import(file).then((mod: Record<string, unknown>) => {
        if (!isJobDefinition(mod.default)) throw new Error(`${file} no longer default-exports a defineJob(...)`);
        return mod.default;
      });
      // A module that failed to load is tried again next time (the file may have been fixed).
      loading.catch(() => modules.delete(file));
      modules.set(file, loading);
    }
    return loading;
  };

  const run = async (m: RunMessage): Promise<void> => {
    const me: Current = { id: m.id, controller: new AbortController(), enqueues: new Map() };
    current = me;
    let reply: FromHost;
    try {
      const fresh = !modules.has(m.file);
      const def = await load(m.file);
      if (fresh) port.send({ t: "loaded", id: m.id });
      let payload: unknown;
      try {
        payload = parsePayload({ name: m.name, schema: def.schema } as JobEntry, m.data);
      } catch (err) {
        throw new Unrecoverable((err as Error).message);
      }
      const ctx: JobContext = {
        id: m.id,
        name: m.name,
        queue: m.queue,
        attempt: m.attempt,
        maxAttempts: m.maxAttempts,
        signal: me.controller.signal,
        progress: (pct, msg) => port.send({ t: "progress", id: m.id, pct: clampPct(pct), msg: msg === undefined ? undefined : String(msg) }),
        log: hostLog(port, m.id),
        rateLimited: (ms: number): never => {
          throw new RateLimited(ms);
        },
        enqueue: (name: string, data: unknown, opts?: EnqueueOptions) =>
          new Promise<string>((resolve, reject) => {
            const req = nextReq++;
            me.enqueues.set(req, { resolve, reject });
            port.send({ t: "enqueue", id: m.id, req, name: String(name), data: plain(data), opts: toWireOptions(opts) });
          }),
      };
      reply = { t: "done", id: m.id, ok: true, result: toJsonResult(await def.run(payload, ctx)) };
    } catch (err) {
      reply = { t: "done", id: m.id, ok: false, error: toWireError(toError(err)) };
    }
    if (current === me) current = undefined;
    port.send(reply);
  };

  port.listen((m) => {
    switch (m.t) {
      case "run":
        void run(m);
        return;
      case "abort":
        if (current?.id === m.id) current.controller.abort(fromWireError(m.reason));
        return;
      case "enqueued": {
        const waiting = current?.enqueues.get(m.req);
        if (!waiting) return;
        current!.enqueues.delete(m.req);
        if (m.error) waiting.reject(fromWireError(m.error));
        else waiting.resolve(String(m.id));
        return;
      }
    }
  });
  port.send({ t: "ready", pid: process.pid });
}

/** `ctx.log` inside a host: every line goes to the parent, which logs and stores it like async mode's JobLog. */
function hostLog(port: HostPort, id: string): JobLogger {
  const line = (level: "debug" | "info" | "warn" | "error") => (msg: string, fields?: Record<string, unknown>) =>
    port.send({ t: "log", id, level, msg: String(msg), fields: fields === undefined ? undefined : plainFields(fields) });
  return { debug: line("debug"), info: line("info"), warn: line("warn"), error: line("error") };
}

/** Fields as JSON values (the channel carries JSON), or a note saying why they could not be. */
function plainFields(fields: unknown): Record<string, unknown> | undefined {
  if (fields === null || typeof fields !== "object") return undefined;
  try {
    return JSON.parse(safeJson(fields));
  } catch {
    return { note: "fields could not be stored as JSON" };
  }
}

/** A follow-up payload as JSON: what the store would keep of it anyway. */
function plain(data: unknown): unknown {
  if (data === undefined) return undefined;
  try {
    return JSON.parse(JSON.stringify(data));
  } catch (err) {
    throw new Unrecoverable(`ctx.enqueue: the payload is not JSON-serialisable: ${(err as Error).message}`);
  }
}
