/**
 * Serves the virtual module `qworker` to job files through Bun's plugin
 * API, from this very process, so job folders need no node_modules and the
 * errors a job throws are the ones the worker recognises. Works the same
 * when running from source and from the compiled binary (probed).
 */

import { plugin } from "bun";
import * as sdk from "../sdk/index.ts";

let installed = false;

export function installSdkPlugin(): void {
  if (installed) return;
  installed = true;
  plugin({
    name: "qworker-sdk",
    setup(build) {
      build.module("qworker", () => ({ exports: { ...sdk, default: sdk }, loader: "object" }));
    },
  });
}
