/**
 * Process mode's host: a child process of this same binary running the
 * hidden `__job-host` command (cli/job-host-child.ts), talking JSON over
 * Bun's IPC channel. A child is measured alone (/proc on Linux), so
 * `maxMemoryMb` is exact, and stopping it (SIGKILL) stops anything a job
 * left running in it.
 */

import type { Subprocess } from "bun";
import { selfCommand } from "../../core/entrypoints.ts";
import type { Host, HostExit } from "./host.ts";
import { residentBytes } from "./memory-watch.ts";
import { decodeFromHost, encodeToHost, type ToHost, type Wire } from "./wire.ts";

export function startChildHost(): Host {
  let markReady!: () => void;
  let failReady!: (err: Error) => void;
  let markExited!: (exit: HostExit) => void;
  const ready = new Promise<void>((resolve, reject) => ((markReady = resolve), (failReady = reject)));
  ready.catch(() => {});
  const exited = new Promise<HostExit>((resolve) => (markExited = resolve));
  let child: Subprocess | undefined;

  const host: Host & { exit: HostExit | undefined } = {
    kind: "process",
    ready,
    exited,
    exit: undefined,
    loaded: new Set(),
    onMessage: undefined,
    onExit: undefined,
    send: (msg: ToHost) => {
      try {
        child?.send(encodeToHost(msg));
      } catch {
        // The channel closed: the child is exiting, and its exit ends the try.
      }
    },
    kill: async () => {
      if (!host.exit) child?.kill("SIGKILL");
      await exited;
    },
    memoryBytes: () => (child ? residentBytes(child.pid) : undefined),
  };
  child = Bun.spawn([...selfCommand(), "__job-host"], {
    stdin: "ignore",
    stdout: "inherit",
    stderr: "inherit",
    env: process.env,
    serialization: "json",
    ipc: (w: Wire) => {
      const m = decodeFromHost(w);
      if (m.t === "ready") markReady();
      else host.onMessage?.(m);
    },
  });
  void child.exited.then((code) => {
    const signal = child!.signalCode;
    const exit: HostExit = { code, signal: typeof signal === "string" ? signal : signal === null ? null : String(signal) };
    host.exit = exit;
    failReady(new Error(`the child process ${exit.signal ? `was killed by ${exit.signal}` : `exited with code ${code}`} before it was ready`));
    markExited(exit);
    host.onExit?.(exit);
  });
  return host;
}
