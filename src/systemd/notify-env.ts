/**
 * Reads what systemd tells a Type=notify service through its environment:
 * NOTIFY_SOCKET, and WATCHDOG_USEC / WATCHDOG_PID with the rules of
 * sd_watchdog_enabled(3): the watchdog is ours when WATCHDOG_USEC is a
 * positive integer and WATCHDOG_PID is unset or our pid. Like
 * sd_notify(unset_environment=1), it then removes the three variables, so
 * worker processes (`--processes`, process-mode job hosts) and whatever jobs spawn neither
 * inherit the socket nor feed the watchdog on our behalf.
 */

export interface NotifyEnv {
  /** Undefined: not under systemd (or not Type=notify); nothing is sent at all. */
  socket?: string;
  /** Watchdog period in µs when it applies to this process. */
  watchdogUsec?: number;
  /** Variables that were set but could not be used, for a debug line. */
  problems: string[];
}

export function takeNotifyEnv(env: Record<string, string | undefined> = process.env, pid = process.pid): NotifyEnv {
  const raw = { socket: env.NOTIFY_SOCKET, usec: env.WATCHDOG_USEC, pid: env.WATCHDOG_PID };
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;

  const problems: string[] = [];
  const socket = raw.socket ? raw.socket : undefined;
  if (!socket || raw.usec === undefined) return { socket, problems };
  const usec = /^\d{1,16}$/.test(raw.usec) ? Number(raw.usec) : 0;
  if (usec <= 0) {
    problems.push(`WATCHDOG_USEC=${raw.usec} is not a positive number of microseconds; no watchdog pings`);
    return { socket, problems };
  }
  if (raw.pid !== undefined) {
    if (!/^[1-9]\d{0,9}$/.test(raw.pid)) {
      problems.push(`WATCHDOG_PID=${raw.pid} is not a pid; no watchdog pings`);
      return { socket, problems };
    }
    // Set for another process (we were started by one that was watched): not ours to feed.
    if (Number(raw.pid) !== pid) return { socket, problems };
  }
  return { socket, watchdogUsec: usec, problems };
}
