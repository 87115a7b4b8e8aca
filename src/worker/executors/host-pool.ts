/**
 * A pool of long-lived job hosts of one kind (threads or child processes),
 * so a job module is loaded once per host and a try costs a message round
 * trip, not a start-up (~50 ms for a thread, ~100 ms for a child).
 *
 * 1. Hosts start lazily, one per try that finds none idle, up to `size`;
 *    past that, tries wait in line (first come, first served) for a host.
 * 2. A host that dies on its own (crash, process.exit, uncaught error) is
 *    forgotten and its replacement waits a delay that doubles with each
 *    crash in a row (250 ms up to 10 s) and starts over once a host
 *    finishes a try normally: a job that kills its host cannot turn the
 *    pool into a crash loop that eats the CPU.
 * 3. A host the executor stops on purpose (timeout, memory limit) is
 *    replaced at once: nothing was wrong with the host.
 */

import { toError } from "../../core/errors.ts";
import type { Logger } from "../../core/logger.ts";
import { growingPause } from "../../core/loop.ts";
import type { Host, HostKind } from "./host.ts";

export interface HostPoolOptions {
  kind: HostKind;
  size: number;
  start(): Host;
  log: Logger;
  /** How long a host may take to say it is ready. */
  startTimeoutMs?: number;
}

/** Delay before starting a host after `crashes` crashes in a row. */
export const crashDelay = growingPause(250, 10_000);

export class HostStartError extends Error {
  override readonly name = "HostStartError";
}

export class HostPool {
  private readonly idle: Host[] = [];
  /** Hosts alive or starting, idle or busy. */
  private live = 0;
  private readonly waiters: { resolve(h: Host): void; reject(e: Error): void; signal: AbortSignal; onAbort(): void }[] = [];
  private crashes = 0;
  private nextStartAt = 0;
  private stopped = false;
  private readonly all = new Set<Host>();

  constructor(private readonly opts: HostPoolOptions) {}

  get size(): number {
    return this.opts.size;
  }

  /** Hosts alive or starting. */
  get count(): number {
    return this.live;
  }

  /** A host for one try: idle, newly started, or the next one freed. Rejects with the signal's reason on abort. */
  async acquire(signal: AbortSignal): Promise<Host> {
    if (signal.aborted) throw toError(signal.reason);
    if (this.stopped) throw new HostStartError(`the ${this.opts.kind} pool is stopped`);
    const idle = this.idle.pop();
    if (idle) return idle;
    if (this.live < this.opts.size && !this.stopped) return this.startOne(signal);
    return new Promise<Host>((resolve, reject) => {
      const waiter = {
        resolve,
        reject,
        signal,
        onAbort: () => {
          this.waiters.splice(this.waiters.indexOf(waiter), 1);
          reject(toError(signal.reason));
        },
      };
      signal.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** The try ended normally: the host takes the next one. */
  release(host: Host): void {
    this.crashes = 0;
    if (this.stopped) return;
    if (host.exit) {
      // It died just after its try ended: its place is free again.
      this.forget(host);
      this.gone();
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      waiter.signal.removeEventListener("abort", waiter.onAbort);
      waiter.resolve(host);
    } else {
      this.idle.push(host);
    }
  }

  /** Stops a host the executor gave up on (timeout, memory) and frees its place once it is gone. */
  discard(host: Host): void {
    this.forget(host);
    void host.kill().finally(() => this.gone());
  }

  /** The host died on its own while running a try: forget it, and delay its replacement. */
  crashed(host: Host): void {
    this.forget(host);
    this.noteCrash();
    this.gone();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) {
      w.signal.removeEventListener("abort", w.onAbort);
      w.reject(new HostStartError(`the ${this.opts.kind} pool is stopping`));
    }
    this.idle.length = 0;
    await Promise.all([...this.all].map((h) => h.kill()));
    this.all.clear();
  }

  private async startOne(signal: AbortSignal): Promise<Host> {
    this.live++;
    const wait = this.nextStartAt - performance.now();
    if (wait > 0) {
      await abortable(wait, signal).catch((err) => {
        this.gone();
        throw err;
      });
    }
    let host: Host;
    try {
      host = this.opts.start();
    } catch (err) {
      this.noteCrash();
      this.gone();
      throw new HostStartError(`could not start a ${this.opts.kind} for the job: ${toError(err).message}`);
    }
    this.all.add(host);
    // A host that dies while idle (a leftover timer of its last job threw) just leaves the pool;
    // one that dies during a try is the executor's to report (it calls crashed()).
    void host.exited.then((exit) => {
      const i = this.idle.indexOf(host);
      if (i < 0) return;
      this.opts.log.warn(`an idle job ${this.opts.kind} died; it is replaced when needed`, { code: exit.code, signal: exit.signal ?? undefined, error: exit.error });
      this.forget(host);
      this.noteCrash();
      this.gone();
    });
    try {
      await withTimeout(host.ready, this.opts.startTimeoutMs ?? 30_000);
    } catch (err) {
      this.opts.log.error(`a job ${this.opts.kind} did not start`, { error: toError(err).message });
      this.discard(host);
      this.noteCrash();
      throw new HostStartError(`could not start a ${this.opts.kind} for the job: ${toError(err).message}`);
    }
    return host;
  }

  private forget(host: Host): void {
    const i = this.idle.indexOf(host);
    if (i >= 0) this.idle.splice(i, 1);
    this.all.delete(host);
    host.onExit = undefined;
    host.onMessage = undefined;
  }

  private noteCrash(): void {
    this.crashes++;
    this.nextStartAt = performance.now() + crashDelay(this.crashes);
  }

  /** A place in the pool is free: a waiting try starts a host in it. */
  private gone(): void {
    this.live--;
    if (this.stopped) return;
    const waiter = this.waiters.shift();
    if (!waiter) return;
    waiter.signal.removeEventListener("abort", waiter.onAbort);
    this.startOne(waiter.signal).then(waiter.resolve, waiter.reject);
  }
}

function abortable(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(toError(signal.reason));
    };
    signal.addEventListener("abort", onAbort, { once: true });
  });
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`not ready after ${ms} ms`)), ms)))]).finally(() => clearTimeout(timer));
}
