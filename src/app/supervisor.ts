/**
 * `run --processes N`: runs N worker processes (this same binary, hidden
 * command `__worker`, each a whole worker pool) and keeps them running. A child that crashes (a job called
 * process.exit, ran out of memory, segfaulted) is restarted after a delay
 * that grows while it keeps crashing; its jobs come back through the
 * rescuer like any lost worker's. A child that exits 0 on its own was
 * recycled (it had to stop a job that ignored its timeout) and is started
 * again at once. Children are steered over IPC: "stop" drains them
 * gracefully, "hurry" (the second signal) makes them put jobs back at once.
 */

import type { Subprocess } from "bun";
import type { Logger } from "../core/logger.ts";
import { Loop } from "../core/loop.ts";
import { TypedEmitter, type Service } from "../core/service.ts";
import { selfCommand } from "../core/entrypoints.ts";

export interface SupervisorEvents extends Record<string, unknown> {
  "child:started": { index: number; pid: number };
  "child:exited": { index: number; pid: number; code: number | null; restartInMs?: number };
}

export interface SupervisorOptions {
  processes: number;
  /** Arguments for each child after the executable (and script, from source): `__worker --index i ...`. */
  childArgs(index: number): string[];
  log: Logger;
}

const FIRST_DELAY_MS = 1_000;
const MAX_DELAY_MS = 30_000;
/** A child that lived this long was healthy: its next crash starts the delay over. */
const HEALTHY_AFTER_MS = 60_000;

export class ProcessSupervisor implements Service {
  readonly events = new TypedEmitter<SupervisorEvents>();
  private readonly children = new Map<number, Subprocess>();
  private readonly keepers: Loop[] = [];
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(private readonly opts: SupervisorOptions) {}

  start(): void {
    if (this.keepers.length) return;
    for (let i = 0; i < this.opts.processes; i++) {
      const keeper = this.keeper(i);
      this.keepers.push(keeper);
      keeper.start();
    }
  }

  /** Forwards a graceful stop and waits for every child to exit; no restarts after this. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      for (const child of this.children.values()) tell(child, "stop");
      await Promise.all(this.keepers.map((k) => k.stop()));
    })();
    return this.stopped;
  }

  /** Second signal: children abort their running jobs and put them back at once. */
  hurry(): void {
    for (const child of this.children.values()) tell(child, "hurry");
  }

  /** A reload: each child reloads its job modules (jobs it runs finish on their old code). */
  reload(): void {
    for (const child of this.children.values()) tell(child, "reload");
  }

  /** One Loop per child slot: each round runs the child until it exits and returns the delay before the next start. */
  private keeper(index: number): Loop {
    let delay = FIRST_DELAY_MS;
    return new Loop({
      name: `child-${index}`,
      round: async () => {
        if (this.stopping) return 0;
        const started = performance.now();
        const child = Bun.spawn([...selfCommand(), ...this.opts.childArgs(index)], {
          stdin: "ignore",
          stdout: "inherit",
          stderr: "inherit",
          env: process.env,
          ipc() {},
        });
        this.children.set(index, child);
        // A stop that came while this child was being spawned did not reach it: tell it now.
        if (this.stopping) tell(child, "stop");
        this.events.emit("child:started", { index, pid: child.pid });
        const code = await child.exited;
        this.children.delete(index);
        if (this.stopping) {
          this.events.emit("child:exited", { index, pid: child.pid, code });
          return 0;
        }
        if (performance.now() - started > HEALTHY_AFTER_MS) delay = FIRST_DELAY_MS;
        const restartInMs = code === 0 ? 100 : delay;
        if (code !== 0) delay = Math.min(MAX_DELAY_MS, delay * 2);
        this.opts.log.warn(code === 0 ? "worker process recycled; starting it again" : "worker process exited; restarting it", { index, pid: child.pid, code, restartInMs });
        this.events.emit("child:exited", { index, pid: child.pid, code, restartInMs });
        return restartInMs;
      },
      onError: (err) => {
        this.opts.log.error("could not start a worker process; retrying", { index, error: err.message });
        return MAX_DELAY_MS;
      },
    });
  }
}

function tell(child: Subprocess, message: "stop" | "hurry" | "reload"): void {
  try {
    child.send(message);
  } catch {
    // Its IPC channel is gone: it is exiting anyway; a signal makes sure.
    child.kill("SIGTERM");
  }
}
