/**
 * A job host as the pool sees it: a worker thread or a child process that
 * runs job tries (job-host.ts inside). The two kinds differ only in how
 * they are started, stopped and measured (thread.ts, process.ts); the
 * executor (remote.ts) and the host pool (host-pool.ts) use this shape.
 */

import type { FromHost, ToHost } from "./wire.ts";

export type HostKind = "thread" | "process";

export interface HostExit {
  /** Exit code; for a thread, the `close` event's code (0 clean, 1 uncaught error, n from process.exit(n)). */
  code: number | null;
  /** The signal that killed a child process, if any. */
  signal?: string | null;
  /** What the host reported before it died (a thread's uncaught error), if anything. */
  error?: string;
}

export interface Host {
  readonly kind: HostKind;
  /** Resolves once the host can take tries; rejects if it died first. */
  readonly ready: Promise<void>;
  send(msg: ToHost): void;
  /** The running try's handler; set by the executor for the length of one try. */
  onMessage: ((msg: FromHost) => void) | undefined;
  /** The running try's handler of the host's death; set by the executor for the length of one try. */
  onExit: ((exit: HostExit) => void) | undefined;
  /** Resolves when the host has died, for any reason (also after kill()). */
  readonly exited: Promise<HostExit>;
  /** Set once it has died. */
  readonly exit: HostExit | undefined;
  /** Stops it now (terminate / SIGKILL); resolves once it is gone. */
  kill(): Promise<void>;
  /** Job modules this host has loaded (it said so): a try of one of them starts its clock at once. */
  readonly loaded: Set<string>;
  /** Bytes of memory this host alone uses, where it can be told apart (a child on Linux); undefined otherwise. */
  memoryBytes(): number | undefined;
}

/** Says how a host died, for the job's log and error: "exited with code 3", "was killed by SIGKILL". */
export function describeExit(kind: HostKind, exit: HostExit): string {
  const what = kind === "thread" ? "the worker thread running this try" : "the child process running this try";
  const how = exit.signal ? `was killed by ${exit.signal}` : `exited with code ${exit.code ?? "?"}`;
  const hint = exit.code === 1 && !exit.signal ? " (an uncaught error or process.exit(1))" : !exit.signal && exit.code !== 0 ? " (process.exit or a crash)" : "";
  return `${what} ${how}${hint}${exit.error ? `: ${exit.error.split("\n")[0]}` : ""}`;
}
