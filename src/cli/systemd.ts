/**
 * `qworker systemd`: prints a unit for this install (the running binary,
 * a dedicated user, the app directory, the config's shutdown timeout), so
 * `qworker systemd > /etc/systemd/system/qworker.service` is the whole
 * set-up. Store and admin settings stay out of the unit: they belong in
 * the config file or, for secrets, in /etc/qworker/qworker.env, because a
 * unit file is world-readable.
 */

import type { Argv } from "yargs";
import { UsageError } from "../core/errors.ts";
import { loadConfig } from "../config/loader.ts";
import { SHARED_OPTIONS } from "../config/options.ts";
import { checkBinary, parseUnitFlags } from "../systemd/unit-params.ts";
import { DEFAULT_UNIT, ENV_FILE, renderUnit, STATE_DIR } from "../systemd/unit.ts";

export const systemdCommand = {
  command: "systemd",
  describe: "print a systemd unit for this install (Type=notify, watchdog, sandbox)",
  builder: (y: Argv) =>
    y
      .option("user", { type: "string", default: DEFAULT_UNIT.user, describe: "user the service runs as (create it with useradd --system)" })
      .option("workdir", { type: "string", default: DEFAULT_UNIT.workdir, describe: "absolute app directory: jobs/ and config/qworker.json" })
      .option("role", { type: "string", describe: "all | worker | scheduler | api (default all)" })
      .option("template", { type: "boolean", describe: "print the qworker@.service template instead: the instance name is the role" })
      .example("$0 systemd | sudo tee /etc/systemd/system/qworker.service", "install the unit (docs/deploy.md)")
      .example("$0 systemd --template | sudo tee /etc/systemd/system/qworker@.service", "then: systemctl enable --now qworker@worker qworker@scheduler"),
  handler: (argv: Record<string, unknown>) => {
    refuseUnitlessFlags(argv);
    const flags = parseUnitFlags({ user: argv.user, workdir: argv.workdir, config: argv.config, role: argv.role, template: argv.template, cwd: process.cwd() });
    const binary = checkBinary(process.execPath, Bun.main.startsWith("/$bunfs/"));
    // Only the drain time is taken from the config, read as the service will read it:
    // from the working directory, without this shell's QWORKER_* variables.
    const { config } = loadConfig({ flags: { config: flags.config }, env: {}, cwd: flags.workdir });
    process.stdout.write(renderUnit({ ...flags, binary, shutdownTimeoutMs: config.worker.shutdownTimeout }));
  },
};

/** The shared store/admin flags would be silently dropped from the unit: say where they go instead. */
function refuseUnitlessFlags(argv: Record<string, unknown>): void {
  for (const o of SHARED_OPTIONS) {
    if (o.flag === "config" || argv[o.flag] === undefined) continue;
    const where =
      o.flag === "db"
        ? `the unit keeps the SQLite file in ${STATE_DIR} (StateDirectory=)`
        : o.flag === "redis-url" || o.flag === "admin-token"
          ? `it is a secret: put ${o.env}=… in ${ENV_FILE} (mode 0640), which the unit reads`
          : `set it in the config file (--config) or as ${o.env}=… in ${ENV_FILE}`;
    throw new UsageError(`--${o.flag} is not written into the unit: ${where}`);
  }
}
