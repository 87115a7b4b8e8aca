/**
 * `qworker info`: version, commit, platform and the resolved configuration
 * (with the admin token and URL passwords redacted). Starts nothing, opens nothing.
 */

import type { Argv } from "yargs";
import { redactUrl } from "../store/postgres/url.ts";
import { cliContext } from "./context.ts";
import { printJson } from "./output.ts";
import { gitCommit, VERSION } from "./version.ts";

export const infoCommand = {
  command: "info",
  describe: "version, commit, platform and resolved config; starts nothing",
  builder: (y: Argv) => y.option("json", { type: "boolean", describe: "print JSON (the default output is JSON too)" }),
  handler: (argv: Record<string, unknown>) => {
    const ctx = cliContext(argv);
    const { store } = ctx.config;
    const redacted = {
      ...store,
      redisUrl: redactUrl(store.redisUrl),
      postgresUrl: redactUrl(store.postgresUrl),
      postgresListenUrl: store.postgresListenUrl && redactUrl(store.postgresListenUrl),
    };
    const config = { ...ctx.config, store: redacted, admin: { ...ctx.config.admin, token: ctx.config.admin.token ? "(set)" : undefined } };
    printJson({
      version: VERSION,
      commit: gitCommit(),
      bun: Bun.version,
      platform: `${process.platform}-${process.arch}`,
      executable: process.execPath,
      configFile: ctx.configFile ?? null,
      config,
    });
  },
};
