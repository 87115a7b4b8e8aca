/**
 * `qworker info`: version, platform, worker id, modes, queues, store,
 * admin address, the QWORKER_* env in effect and the resolved config, with
 * secrets masked (info-report.ts). Starts nothing, opens nothing.
 */

import type { Argv } from "yargs";
import { redactUrl } from "../store/postgres/url.ts";
import { cliContext } from "./context.ts";
import { infoReport } from "./info-report.ts";
import { printJson } from "./output.ts";
import { addRunOptions } from "./shared-options.ts";

export const infoCommand = {
  command: "info",
  describe: "version, commit, platform, modes, store and resolved config (secrets masked); starts nothing",
  // The run options too, so `info --mode thread --processes 4` shows what that `run` would do.
  builder: (y: Argv) => addRunOptions(y).option("json", { type: "boolean", describe: "print JSON (the default output is JSON too)" }),
  handler: (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    printJson(infoReport(ctx.config, ctx.configFile));
  },
};
