/**
 * Renders the systemd unit for qworker: the one text behind `qworker
 * systemd`, `config/qworker.service` and the per-role template
 * `config/qworker@.service` (build.ts writes the two shipped files from
 * the defaults below, and a test keeps them equal). The unit carries its
 * reasons as comments, since whoever edits it on a server reads it there.
 * Parameters arrive checked (unit-params.ts): nothing here escapes.
 */

import type { Role } from "./unit-params.ts";

export interface UnitParams {
  /** Absolute path of the qworker binary. */
  binary: string;
  user: string;
  /** WorkingDirectory: where jobs/ and config/qworker.json are found. */
  workdir: string;
  /** Absolute config file for `--config`; none: config/qworker.json in workdir, if present. */
  config?: string;
  /** Plain unit only: the `--role` to run. The template takes the role from the instance name. */
  role?: Role;
  template: boolean;
  /** worker.shutdownTimeout; TimeoutStopSec gives it STOP_MARGIN_S more. */
  shutdownTimeoutMs: number;
}

export const STATE_DIR = "/var/lib/qworker";
export const ENV_FILE = "/etc/qworker/qworker.env";
export const DEFAULT_UNIT: UnitParams = {
  binary: "/usr/local/bin/qworker",
  user: "qworker",
  workdir: "/opt/qworker",
  template: false,
  shutdownTimeoutMs: 25_000,
};
/** Time past the drain for closing the store and exiting before systemd sends SIGKILL. */
const STOP_MARGIN_S = 5;
const WATCHDOG_S = 30;

export function renderUnit(p: UnitParams): string {
  const run = [p.binary, "run", ...(p.template ? ["--role", "%i"] : p.role ? ["--role", p.role] : []), ...(p.config ? ["--config", p.config] : [])];
  const stopSec = Math.ceil(p.shutdownTimeoutMs / 1000) + STOP_MARGIN_S;
  return `# qworker ${p.template ? "template: one unit per role, e.g. qworker@worker and qworker@scheduler" : "service"}
# Install, upgrade and operations: docs/deploy.md. Written by \`qworker systemd\`.
[Unit]
Description=qworker background jobs${p.template ? " (role %i)" : ""}
After=network-online.target
Wants=network-online.target

[Service]
# qworker sends READY=1 over $NOTIFY_SOCKET once the store is reachable, the job
# modules are loaded and the admin port is bound; WATCHDOG=1 from its event loop
# every WatchdogSec/2, so a loop blocked longer than WatchdogSec (a job spinning
# synchronously) gets the service killed and restarted; STATUS= with the counts.
Type=notify
NotifyAccess=main
WatchdogSec=${WATCHDOG_S}s
ExecStart=${run.join(" ")}
# SIGHUP reloads the job modules and the config's schedules in place: running
# jobs finish on their code, new ones run the new code; a broken edit is refused
# and the old code keeps serving (the log and /health say why).
ExecReload=/bin/kill -HUP $MAINPID
WorkingDirectory=${p.workdir}
User=${p.user}
Group=${p.user}

# The SQLite file lives in the state directory, which systemd creates and hands
# to the user. The flag is an environment variable so a config file's store.db
# cannot point it outside the sandbox's writable paths.
StateDirectory=qworker
StateDirectoryMode=0750
Environment=QWORKER_DB=${STATE_DIR}/qworker.db
# Bun's collector sizes its young generation from the host's RAM: on a big host a
# busy worker's heap swings by tens of MB between collections. Sized as for 1 GB,
# a drain of a million jobs stays near 100 MB RSS at the same speed (README,
# Performance). Raise or remove it for jobs that keep large heaps.
Environment=BUN_JSC_forceRAMSize=1073741824
# Secrets (QWORKER_REDIS_URL with its password, QWORKER_ADMIN_TOKEN) go here,
# mode 0640 root:${p.user}, never in this world-readable file.
EnvironmentFile=-${ENV_FILE}${p.template ? `\nEnvironmentFile=-/etc/qworker/%i.env` : ""}
# Better for the admin token: a credential. Put the token alone in
# /etc/qworker/admin-token (mode 0600 root) and uncomment the line; systemd
# hands it to this service only, in $CREDENTIALS_DIRECTORY, out of the
# environment and of ps. (systemd fails the start if the file is missing.)
#LoadCredential=admin-token:/etc/qworker/admin-token

# Exit 2 is a bad flag, config or job module: restarting cannot fix it.
# Exit 3 (store unreachable) and crashes are restarted.
Restart=on-failure
RestartSec=2s
RestartPreventExitStatus=2
# SIGTERM to the main process only: it stops fetching, lets running jobs finish
# within worker.shutdownTimeout (${Math.ceil(p.shutdownTimeoutMs / 1000)} s), puts the rest back and exits 0;
# it stops its worker processes, job threads and job processes itself. Whatever is still
# running after TimeoutStopSec gets SIGKILL, and its jobs come back by lease.
KillMode=mixed
TimeoutStopSec=${stopSec}s

# Sandbox: everything read-only but the state directory; no home directories,
# a private /tmp, no devices, no privilege gain.
NoNewPrivileges=yes
ProtectSystem=strict
ReadWritePaths=${STATE_DIR}
ProtectHome=yes
PrivateTmp=yes
PrivateDevices=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
LockPersonality=yes
RemoveIPC=yes
SystemCallArchitectures=native
CapabilityBoundingSet=
AmbientCapabilities=
UMask=0027
# No MemoryDenyWriteExecute=yes: Bun's JavaScriptCore maps its JIT code area
# writable and executable (a 1 GiB rwx mapping in /proc/PID/maps). Denied that,
# it does not crash but runs without the JIT: a CPU-bound loop took 3.3x as
# long (measured with prctl PR_SET_MDWE, the same restriction).
# No SystemCallFilter= either: Bun's system calls have not been tried under one.

[Install]
WantedBy=multi-user.target
`;
}

/** The unit files in config/, rendered from DEFAULT_UNIT. */
export function shippedUnits(): { file: string; text: string }[] {
  return [
    { file: "qworker.service", text: renderUnit(DEFAULT_UNIT) },
    { file: "qworker@.service", text: renderUnit({ ...DEFAULT_UNIT, template: true }) },
  ];
}
