/**
 * The compiled binary as a user starts it: `dist/qworker run` in an empty
 * temp project (empty jobs dir, fresh SQLite file, a free admin port). We
 * time spawn → first `GET /health` 200, then read the idle process's RSS
 * from /proc after ~2 s. Builds dist/qworker first if it is missing.
 */

import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { binaryIsStale } from "../test/helpers/qworker-binary.ts";
import { procStatusMb } from "./stats.ts";

export const ROOT = resolve(import.meta.dir, "..");
const BINARY = join(ROOT, "dist", "qworker");

export interface BinaryResult {
  healthMs: number;
  idleRssMb: number;
  error?: string;
}

/** Builds dist/qworker if missing or older than its sources, then runs `--version` once so the timed starts find the binary in the page cache (a restart, not a first start after install). */
export function ensureBinary(): string {
  if (!existsSync(BINARY) || binaryIsStale(ROOT)) {
    process.stderr.write("dist/qworker is missing or older than src/: building it (bun build.ts)\n");
    const r = Bun.spawnSync([process.execPath, "build.ts"], { cwd: ROOT, stdout: "inherit", stderr: "inherit" });
    if (r.exitCode !== 0) throw new Error("bun build.ts failed");
  }
  Bun.spawnSync([BINARY, "--version"], { stdout: "ignore", stderr: "ignore" });
  return BINARY;
}

export async function measureBinary(idleMs = 2_000): Promise<BinaryResult> {
  const dir = mkdtempSync(join(tmpdir(), "qworker-bench-bin-"));
  mkdirSync(join(dir, "jobs"));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}/health`;
  const t0 = performance.now();
  const proc = Bun.spawn([BINARY, "run", "--backend", "sqlite", "--db", join(dir, "data", "qworker.db"), "--jobs", join(dir, "jobs"), "--admin-port", String(port)], {
    cwd: dir,
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", HOME: dir, NO_COLOR: "1" },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  const log = Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]).then((parts) => parts.join(""));
  try {
    let healthMs = Number.NaN;
    while (performance.now() - t0 < 10_000 && proc.exitCode === null) {
      try {
        const res = await fetch(url, { signal: AbortSignal.timeout(500) });
        await res.arrayBuffer();
        if (res.status === 200) {
          healthMs = performance.now() - t0;
          break;
        }
      } catch {
        // not listening yet
      }
      await Bun.sleep(2);
    }
    if (!Number.isFinite(healthMs)) {
      proc.kill("SIGKILL");
      return { healthMs, idleRssMb: Number.NaN, error: `no 200 from /health within 10 s; log:\n${await log}` };
    }
    await Bun.sleep(idleMs);
    return { healthMs, idleRssMb: procStatusMb(proc.pid, "VmRSS") };
  } finally {
    proc.kill("SIGTERM");
    const killer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
    await proc.exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const p = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolvePort(p));
    });
  });
}
