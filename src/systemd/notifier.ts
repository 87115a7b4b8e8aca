/**
 * What qworker tells systemd, and when. Duties:
 *  1. READY=1 once the runtime is up (the caller decides when that is);
 *  2. WATCHDOG=1 every WATCHDOG_USEC/2 from a timer on the event loop
 *     itself, so a loop blocked by a synchronous job stops the pings and
 *     systemd restarts the service after WatchdogSec;
 *  3. STATUS= refreshed every STATUS_INTERVAL_MS from a status source
 *     (counts are read no more often than that, one read at a time);
 *  4. STOPPING=1 when the drain starts.
 * Without NOTIFY_SOCKET it is inert: no libc, no timers, no sends. It never
 * throws into the runtime: a failed send is logged once, at debug, and the
 * next message is tried anyway (systemd may come back; a lost WATCHDOG=1 is
 * made up by the next one).
 *
 * Reload (SIGHUP, --watch) fits in as: `reloading()` (RELOADING=1 with the
 * MONOTONIC_USEC that Type=notify-reload asks for), reload, then `ready()`
 * again, which sends READY=1 and keeps the timers it already has; the
 * watchdog keeps pinging through the reload, as the loop must stay live.
 */

import type { Logger } from "../core/logger.ts";
import { takeNotifyEnv, type NotifyEnv } from "./notify-env.ts";
import { monotonicUsec, NotifySocket } from "./sd-notify.ts";

export const STATUS_INTERVAL_MS = 5_000;

/** The STATUS= text, e.g. "12 active, 340 waiting"; may be slow (a store read) or fail. */
export type StatusSource = () => Promise<string>;

export interface NotifierOptions {
  log: Logger;
  /** Parsed environment; default: taken from process.env (and removed from it). */
  env?: NotifyEnv;
  /** Where datagrams go; default: $NOTIFY_SOCKET through libc. Tests pass a recorder. */
  send?: (message: string) => void;
  statusIntervalMs?: number;
}

export class SystemdNotifier {
  private readonly sendRaw: ((message: string) => void) | undefined;
  private readonly watchdogMs: number | undefined;
  private readonly statusIntervalMs: number;
  private watchdogTimer: ReturnType<typeof setInterval> | undefined;
  private statusTimer: ReturnType<typeof setInterval> | undefined;
  private statusSource: StatusSource | undefined;
  private statusInFlight = false;
  private lastStatus = "";
  private stoppingSent = false;
  private failureLogged = false;

  constructor(private readonly opts: NotifierOptions) {
    const env = opts.env ?? takeNotifyEnv();
    this.statusIntervalMs = opts.statusIntervalMs ?? STATUS_INTERVAL_MS;
    for (const problem of env.problems) opts.log.debug(problem);
    if (!env.socket) return;
    this.sendRaw = opts.send ?? socketSender(env.socket, (err) => this.failed(err));
    if (!this.sendRaw) return;
    if (env.watchdogUsec !== undefined) this.watchdogMs = Math.max(1, Math.floor(env.watchdogUsec / 2_000));
    opts.log.debug("systemd notifications on", { socket: env.socket, watchdogEveryMs: this.watchdogMs });
  }

  /** False without NOTIFY_SOCKET: every method is then a no-op. */
  get enabled(): boolean {
    return this.sendRaw !== undefined;
  }

  /** READY=1, then the watchdog and status timers (started once; a second call after a reload only re-announces). */
  ready(status?: StatusSource): void {
    if (!this.sendRaw || this.stoppingSent) return;
    this.send("READY=1");
    if (status) this.statusSource = status;
    if (this.watchdogMs !== undefined && !this.watchdogTimer) {
      this.watchdogTimer = setInterval(() => this.send("WATCHDOG=1"), this.watchdogMs);
      this.watchdogTimer.unref();
    }
    if (this.statusSource && !this.statusTimer) {
      this.statusTimer = setInterval(() => void this.refreshStatus(), this.statusIntervalMs);
      this.statusTimer.unref();
      void this.refreshStatus();
    }
  }

  /** Before a reload; `ready()` when it is done. */
  reloading(): void {
    if (!this.sendRaw || this.stoppingSent) return;
    let clock = "";
    try {
      clock = `\nMONOTONIC_USEC=${monotonicUsec()}`;
    } catch (err) {
      this.failed(err);
    }
    this.send(`RELOADING=1${clock}`);
  }

  /** STOPPING=1 (once): the drain has started. Status refreshes end; the watchdog pings on until exit. */
  stopping(status = "stopping: finishing running jobs"): void {
    if (!this.sendRaw || this.stoppingSent) return;
    this.stoppingSent = true;
    clearInterval(this.statusTimer);
    this.send(`STOPPING=1\nSTATUS=${oneLine(status)}`);
  }

  status(text: string): void {
    const line = oneLine(text);
    if (!this.sendRaw || line === this.lastStatus) return;
    this.lastStatus = line;
    this.send(`STATUS=${line}`);
  }

  /** Clears the timers; idempotent. */
  stop(): void {
    clearInterval(this.watchdogTimer);
    clearInterval(this.statusTimer);
  }

  private async refreshStatus(): Promise<void> {
    if (!this.statusSource || this.statusInFlight) return;
    this.statusInFlight = true;
    try {
      const text = await this.statusSource();
      if (!this.stoppingSent) this.status(text);
    } catch (err) {
      this.failed(err);
    } finally {
      this.statusInFlight = false;
    }
  }

  private send(message: string): void {
    try {
      this.sendRaw?.(message);
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    if (this.failureLogged) return;
    this.failureLogged = true;
    this.opts.log.debug("systemd notification failed (logged once)", { error: err instanceof Error ? err.message : String(err) });
  }
}

/** The libc sender, or undefined (logged) when NOTIFY_SOCKET is not a usable address. */
function socketSender(target: string, onError: (err: unknown) => void): ((message: string) => void) | undefined {
  try {
    const socket = new NotifySocket(target);
    return (message) => socket.send(message);
  } catch (err) {
    onError(err);
    return undefined;
  }
}

/** A newline would start a new assignment in the datagram. */
function oneLine(text: string): string {
  return text.replace(/[\r\n]+/g, " ");
}
