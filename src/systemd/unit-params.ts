/**
 * Checks the flags of `qworker systemd` once, at the edge, so the unit
 * renderer can paste them in as they are. A unit file is line- and
 * specifier-based (`%i`, `$VAR`, quoting), so paths are held to a plain
 * character set instead of being escaped, and a directory the sandbox
 * hides (ProtectHome, PrivateTmp) is refused here rather than failing at
 * `systemctl start` with a bare CHDIR error.
 */

import { isAbsolute, normalize, resolve } from "node:path";
import { z } from "zod";
import { UsageError } from "../core/errors.ts";
import { ROLES } from "../config/schema.ts";

export type Role = (typeof ROLES)[number];

/** What useradd accepts by default (Debian NAME_REGEX), within the 32-character limit. */
const USER_NAME = /^[a-z_][a-z0-9_-]{0,31}$/;
const PLAIN_PATH = /^\/[A-Za-z0-9._/@+-]*$/;
const HIDDEN = ["/home", "/root", "/run/user", "/tmp", "/var/tmp"];

const absolutePath = (what: string) =>
  z
    .string()
    .refine((p) => isAbsolute(p), `${what} must be an absolute path (the unit does not know the directory you run this in)`)
    .refine((p) => PLAIN_PATH.test(p), `${what} may use letters, digits and . _ - @ + / only (a unit file gives other characters meaning)`)
    .refine((p) => normalize(p) === p, `${what} must be normalised (no "..", "." or "//")`)
    .refine((p) => !HIDDEN.some((h) => p === h || p.startsWith(h + "/")), `${what} is under ${HIDDEN.join(", ")}, which ProtectHome= and PrivateTmp= hide from the service; use /opt, /srv or /usr/local`);

const flagsSchema = z.object({
  user: z
    .string()
    .regex(USER_NAME, "is not a valid Linux user name: 1-32 lowercase letters, digits, '_' or '-', starting with a letter or '_'")
    .refine((u) => u !== "root", "root would defeat the sandbox; use a dedicated user such as qworker")
    // systemd warns that nobody "is not safe": other services run as it too.
    .refine((u) => u !== "nobody", "nobody is shared with other services (systemd calls it unsafe); use a dedicated user such as qworker"),
  workdir: absolutePath("the working directory"),
  config: absolutePath("the config file").optional(),
  role: z.enum(ROLES, { error: `is not a role; use one of ${ROLES.join(", ")}` }).optional(),
  template: z.boolean(),
});

export type UnitFlags = z.output<typeof flagsSchema>;

export interface RawUnitFlags {
  user: unknown;
  workdir: unknown;
  config?: unknown;
  role?: unknown;
  template?: unknown;
  /** Relative --config paths mean relative to here, as for every other command. */
  cwd: string;
}

/** The running binary, as ExecStart=; from source there is no binary to point at. */
export function checkBinary(execPath: string, compiled: boolean): string {
  if (!compiled) {
    throw new UsageError(
      "qworker systemd writes the path of the running binary into the unit, and this is running from source: " +
        "build it (`npm run build`), install dist/qworker (e.g. to /usr/local/bin, see docs/deploy.md) and run `qworker systemd` from there",
    );
  }
  const checked = absolutePath("its path").safeParse(execPath);
  if (!checked.success) throw new UsageError(`the qworker binary at ${JSON.stringify(execPath)} cannot go into a unit: ${checked.error.issues[0].message}; install it to /usr/local/bin first`);
  return execPath;
}

/** Throws a UsageError (exit 2) that names the flag. */
export function parseUnitFlags(raw: RawUnitFlags): UnitFlags {
  const input = {
    user: raw.user,
    workdir: typeof raw.workdir === "string" ? raw.workdir.replace(/(.)\/+$/, "$1") : raw.workdir,
    config: typeof raw.config === "string" && raw.config !== "" ? resolve(raw.cwd, raw.config) : undefined,
    role: raw.role === undefined || raw.role === "" ? undefined : raw.role,
    template: raw.template === true,
  };
  const parsed = flagsSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const flag = String(issue.path[0]);
    const given = (input as Record<string, unknown>)[flag];
    throw new UsageError(`--${flag} ${JSON.stringify(given)}: ${issue.message}`);
  }
  if (parsed.data.template && parsed.data.role) {
    throw new UsageError("--role cannot be combined with --template: the template takes the role from the instance name (qworker@worker)");
  }
  return parsed.data;
}
