/**
 * A private `redis-server` per test file: its own free port and temporary
 * dir, so test files can run in parallel and never touch a developer's Redis.
 * Readiness is awaited by polling PING, never by sleeping a fixed time.
 *
 * Whether Redis suites run is decided by test/helpers/requirements.ts: they
 * skip when `redis-server` is not installed, and under QWORKER_REQUIRE_REDIS=1
 * or QWORKER_CI=1 importing this module throws instead, so a missing Redis
 * fails the run rather than passing it silently.
 */

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Redis from "ioredis";
import { toolPath } from "./requirements.ts";

const binary = toolPath("redis-server");

export interface RedisServerOptions {
  /** Turn on the append-only file so data survives `restart()`. Default false. */
  appendOnly?: boolean;
  /** Serve TLS only (rediss://) with a fresh self-signed certificate for 127.0.0.1; needs openssl. */
  tls?: boolean;
  /** Extra `--name value` pairs for redis-server. */
  args?: string[];
}

export interface RedisServer {
  /** redis://127.0.0.1:<port>, or rediss://… with `tls`. */
  url: string;
  /** With `tls`: the certificate (PEM) to trust as CA. */
  ca?: string;
  port: number;
  dir: string;
  /** Stops the server (SIGTERM: graceful SHUTDOWN, AOF flushed) and deletes its dir. Idempotent. */
  stop(): Promise<void>;
  /** Stops the server (SIGTERM, or SIGKILL for a crash) but keeps its dir and port for a later `start()`. */
  halt(signal?: "SIGTERM" | "SIGKILL"): Promise<void>;
  /** Starts it again on the same port and dir (after `halt()`). */
  start(): Promise<void>;
  /** `halt()` then `start()`: with AOF on, the data survives. */
  restart(): Promise<void>;
}

const READY_TIMEOUT_MS = 10_000;

export async function startRedisServer(opts: RedisServerOptions = {}): Promise<RedisServer> {
  if (!binary) throw new Error("redis-server is not on PATH");
  const dir = mkdtempSync(join(tmpdir(), "qworker-redis-"));
  const ca = opts.tls ? makeCertificate(dir) : undefined;
  let proc: ReturnType<typeof Bun.spawn> | undefined;
  let port = 0;
  let stopped = false;

  const listen = (p: number) =>
    ca
      ? ["--port", "0", "--tls-port", String(p), "--tls-cert-file", join(dir, "cert.pem"), "--tls-key-file", join(dir, "key.pem"), "--tls-ca-cert-file", join(dir, "cert.pem"), "--tls-auth-clients", "no"]
      : ["--port", String(p)];
  const args = (p: number) => [
    binary,
    ...listen(p),
    "--bind", "127.0.0.1",
    "--dir", dir,
    "--save", "",
    "--appendonly", opts.appendOnly ? "yes" : "no",
    "--daemonize", "no",
    "--logfile", join(dir, "redis.log"),
    ...(opts.args ?? []),
  ];

  const launch = async (p: number): Promise<boolean> => {
    const child = Bun.spawn(args(p), { stdout: "ignore", stderr: "ignore" });
    proc = child;
    const deadline = Date.now() + READY_TIMEOUT_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) return false; // e.g. the port was taken meanwhile
      if (await pingOnce(p, ca)) return true;
      await Bun.sleep(20);
    }
    child.kill("SIGKILL");
    throw new Error(`redis-server on port ${p} did not answer PING within ${READY_TIMEOUT_MS} ms; see ${join(dir, "redis.log")}`);
  };

  // A free port can be taken by a parallel test file between our probe and redis' bind: retry on a new one.
  for (let attempt = 0; ; attempt++) {
    port = await freePort();
    if (await launch(port)) break;
    if (attempt >= 4) throw new Error(`redis-server failed to start 5 times; see ${join(dir, "redis.log")}`);
  }

  const halt = async (signal: "SIGTERM" | "SIGKILL" = "SIGTERM") => {
    const child = proc;
    proc = undefined;
    if (!child || child.exitCode !== null) return;
    child.kill(signal);
    await child.exited;
  };

  const start = async () => {
    if (proc) return;
    // Our port could have been grabbed while halted; give it a few tries before failing.
    for (let attempt = 0; attempt < 25; attempt++) {
      if (await launch(port)) return;
      await Bun.sleep(100);
    }
    throw new Error(`redis-server could not restart on port ${port}; see ${join(dir, "redis.log")}`);
  };

  const killOnExit = () => {
    proc?.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  children.add(killOnExit);

  return {
    url: `${ca ? "rediss" : "redis"}://127.0.0.1:${port}`,
    ca,
    port,
    dir,
    halt,
    start,
    async restart() {
      await halt("SIGTERM");
      await start();
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await halt("SIGTERM");
      children.delete(killOnExit);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Kills of every server still running, so none outlives its test process (exit, Ctrl-C, SIGTERM). */
const children = new Set<() => void>();
const killAll = () => {
  for (const kill of children) kill();
};
process.once("exit", killAll);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"] as const) {
  process.once(sig, () => {
    killAll();
    process.kill(process.pid, sig); // the handler is gone now: the default action ends the process
  });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", () => {
      const addr = srv.address();
      const p = typeof addr === "object" && addr ? addr.port : 0;
      srv.close(() => resolve(p));
    });
  });
}

function makeCertificate(dir: string): string {
  const res = Bun.spawnSync(
    ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
      "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")],
    { stdout: "ignore", stderr: "pipe" },
  );
  if (res.exitCode !== 0) throw new Error(`openssl could not make a test certificate: ${res.stderr.toString()}`);
  return readFileSync(join(dir, "cert.pem"), "utf8");
}

async function pingOnce(port: number, ca?: string): Promise<boolean> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0, connectTimeout: 500, ...(ca ? { tls: { ca } } : {}) });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}
