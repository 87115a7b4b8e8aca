#!/usr/bin/env node
// `npx qworker …`: runs the compiled binary when it has been built
// (`npm run build`), else the sources with the Bun that `npm ci` installed.
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const binary = join(root, "dist", "qworker");
const bun = join(root, "node_modules", ".bin", "bun");
const [cmd, args] = existsSync(binary)
  ? [binary, process.argv.slice(2)]
  : [existsSync(bun) ? bun : "bun", [join(root, "src", "main.ts"), ...process.argv.slice(2)]];

const child = spawn(cmd, args, { stdio: "inherit" });
// The child gets terminal signals itself (same process group); forward the rest.
for (const sig of ["SIGTERM", "SIGHUP"]) process.on(sig, () => child.kill(sig));
process.on("SIGINT", () => {});
child.on("exit", (code, signal) => process.exit(code ?? (signal ? 128 : 1)));
