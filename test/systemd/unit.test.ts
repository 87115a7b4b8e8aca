/**
 * The unit files: the shipped ones and what `qworker systemd` prints pass
 * `systemd-analyze verify` with no complaint at all (it exits 0 even for
 * unknown keys, which only show on stderr, so any stderr fails), carry the
 * directives the deployment relies on, and bad flags exit 2 naming the flag.
 *
 * verify wants ExecStart= to be an existing executable, so the shipped
 * files are checked with /usr/local/bin/qworker swapped for the real
 * dist/qworker. It does not look User= up: a user that does not exist
 * passes, while `nobody` draws "Special user nobody configured, this is
 * not safe!" (so `qworker systemd` refuses it, as it refuses root).
 */

import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "bun";
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BINARY, ensureBinary, qw, ROOT } from "../helpers/qworker-binary.ts";
import { DEFAULT_UNIT, renderUnit, shippedUnits } from "../../src/systemd/unit.ts";

let dir: string;
beforeAll(() => {
  ensureBinary();
  dir = mkdtempSync(join(tmpdir(), "qw-units-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function verify(file: string): { code: number; stderr: string } {
  const r = spawnSync(["systemd-analyze", "verify", file], { stdout: "pipe", stderr: "pipe" });
  return { code: r.exitCode, stderr: r.stderr.toString() };
}

/** Writes `text` as `name` in the temp dir, with ExecStart= on the real binary, and verifies it. */
function verifyText(name: string, text: string): void {
  const file = join(dir, name);
  writeFileSync(file, text.replaceAll(DEFAULT_UNIT.binary, BINARY));
  expect(verify(file)).toEqual({ code: 0, stderr: "" });
}

/** key -> every value it is given, in order. */
function directives(unit: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of unit.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line);
    if (m) out.set(m[1], [...(out.get(m[1]) ?? []), m[2]]);
  }
  return out;
}

function exposure(file: string): number {
  const r = spawnSync(["systemd-analyze", "security", "--offline=yes", file], { stdout: "pipe", stderr: "pipe" });
  const m = /Overall exposure level for \S+: ([\d.]+)/.exec(r.stdout.toString() + r.stderr.toString());
  if (!m) throw new Error(`no exposure level in: ${r.stdout.toString()}${r.stderr.toString()}`);
  return Number(m[1]);
}

describe("shipped unit files", () => {
  test("config/qworker.service and config/qworker@.service are what the renderer makes of the defaults", () => {
    for (const unit of shippedUnits()) expect(readFileSync(join(ROOT, "config", unit.file), "utf8")).toBe(unit.text);
  });

  test("systemd-analyze verify: exit 0 and nothing on stderr (the template, and an instance of it)", () => {
    const [plain, template] = shippedUnits();
    verifyText("qworker.service", plain.text);
    verifyText("qworker@.service", template.text);
    verifyText("qworker@worker.service", template.text);
  });

  test("the directives the deployment relies on", () => {
    const d = directives(readFileSync(join(ROOT, "config/qworker.service"), "utf8"));
    const one = (k: string) => d.get(k)?.at(-1);
    expect(one("Type")).toBe("notify");
    expect(one("NotifyAccess")).toBe("main");
    expect(one("WatchdogSec")).toBe("30s");
    expect(one("Restart")).toBe("on-failure");
    expect(one("KillMode")).toBe("mixed");
    expect(one("TimeoutStopSec")).toBe("30s"); // the 25 s default drain + 5 s
    expect(one("User")).toBe("qworker");
    expect(one("StateDirectory")).toBe("qworker");
    expect(d.get("Environment")).toContain("QWORKER_DB=/var/lib/qworker/qworker.db");
    // The collector sized as for 1 GB of RAM: a drain's RSS stays near 100 MB (bench/rss-drain.ts).
    expect(d.get("Environment")).toContain("BUN_JSC_forceRAMSize=1073741824");
    expect(d.get("EnvironmentFile")).toContain("-/etc/qworker/qworker.env");
    expect(one("ExecReload")).toBe("/bin/kill -HUP $MAINPID");
    expect(one("ExecStart")).toBe("/usr/local/bin/qworker run");
    for (const k of ["NoNewPrivileges", "ProtectHome", "PrivateTmp", "PrivateDevices"]) expect(one(k)).toBe("yes");
    expect(one("ProtectSystem")).toBe("strict");
    expect(one("ReadWritePaths")).toBe("/var/lib/qworker");
    // Bun's JIT needs memory that is writable and executable (see the comment in the unit).
    expect(d.has("MemoryDenyWriteExecute")).toBe(false);
    const t = directives(readFileSync(join(ROOT, "config/qworker@.service"), "utf8"));
    expect(t.get("ExecStart")).toEqual(["/usr/local/bin/qworker run --role %i"]);
    expect(t.get("EnvironmentFile")).toEqual(["-/etc/qworker/qworker.env", "-/etc/qworker/%i.env"]);
  });

  test("systemd-analyze security rates the sandbox 'OK' or better (exposure <= 4.0)", () => {
    const file = join(dir, "exposure.service");
    writeFileSync(file, shippedUnits()[0].text.replaceAll(DEFAULT_UNIT.binary, BINARY));
    const level = exposure(file);
    console.log(`systemd-analyze security exposure: ${level}`);
    expect(level).toBeLessThanOrEqual(4.0);
  });

  test("TimeoutStopSec is the drain time plus 5 s, rounded up", () => {
    const d = directives(renderUnit({ ...DEFAULT_UNIT, shutdownTimeoutMs: 60_500 }));
    expect(d.get("TimeoutStopSec")).toEqual(["66s"]);
  });
});

/** Where ProtectHome= and PrivateTmp= hide files: `qworker systemd` refuses a binary or working directory there. */
const HIDDEN = ["/home", "/root", "/run/user", "/tmp", "/var/tmp"];
const hiddenPath = (p: string) => HIDDEN.some((h) => p === h || p.startsWith(`${h}/`));

describe("qworker systemd", () => {
  // A folder a unit may name, holding a copy of the binary: the checkout's dist/, unless the checkout
  // itself is under a hidden path (a CI runner may clone into /tmp or /home), then /opt (CI runs as root).
  let place: string;
  let unitBinary: string;
  beforeAll(() => {
    place = mkdtempSync(join(hiddenPath(ROOT) ? "/opt" : join(ROOT, "dist"), "qworker-systemd-test-"));
    unitBinary = join(place, "qworker");
    copyFileSync(BINARY, unitBinary);
    chmodSync(unitBinary, 0o755);
  });
  afterAll(() => rmSync(place, { recursive: true, force: true }));

  test("prints a unit for this binary that verifies cleanly, with --role, --user, --workdir and the config's drain time", async () => {
    const app = mkdtempSync(join(place, "app-"));
    try {
      mkdirSync(join(app, "config"));
      writeFileSync(join(app, "config", "prod.json"), JSON.stringify({ worker: { shutdownTimeout: "60s" } }));
      const r = await qw(["systemd", "--user", "qworker-test", "--workdir", app, "--role", "worker", "--config", "config/prod.json"], { cwd: app, binary: unitBinary });
      expect(r.stderr).toBe("");
      expect(r.code).toBe(0);
      const d = directives(r.stdout);
      expect(d.get("ExecStart")).toEqual([`${unitBinary} run --role worker --config ${join(app, "config", "prod.json")}`]);
      expect(d.get("User")).toEqual(["qworker-test"]);
      expect(d.get("WorkingDirectory")).toEqual([app]);
      expect(d.get("TimeoutStopSec")).toEqual(["65s"]);
      verifyText("generated.service", r.stdout);

      // Without --config it reads the config the service will read: <workdir>/config/qworker.json.
      copyFileSync(join(app, "config", "prod.json"), join(app, "config", "qworker.json"));
      const t = await qw(["systemd", "--template", "--workdir", app], { cwd: dir, binary: unitBinary });
      expect(t.code).toBe(0);
      expect(directives(t.stdout).get("ExecStart")).toEqual([`${unitBinary} run --role %i`]);
      expect(directives(t.stdout).get("TimeoutStopSec")).toEqual(["65s"]);
      verifyText("generated@.service", t.stdout);
    } finally {
      rmSync(app, { recursive: true, force: true });
    }
  });

  const bad: [string[], RegExp][] = [
    [["--user", "Bob"], /--user "Bob": is not a valid Linux user name/],
    [["--user", "9lives"], /--user "9lives": is not a valid Linux user name/],
    [["--user", "a;b"], /--user "a;b": is not a valid Linux user name/],
    [["--user", "root"], /--user "root": root would defeat the sandbox/],
    [["--user", "nobody"], /--user "nobody": nobody is shared with other services/],
    [["--workdir", "opt/qworker"], /--workdir "opt\/qworker": the working directory must be an absolute path/],
    [["--workdir", "/home/me/app"], /--workdir "\/home\/me\/app": the working directory is under .*ProtectHome/],
    [["--workdir", "/opt/my app"], /--workdir "\/opt\/my app": the working directory may use letters, digits/],
    [["--workdir", "/opt/../etc"], /--workdir "\/opt\/..\/etc": the working directory must be normalised/],
    [["--role", "boss"], /--role "boss": is not a role; use one of all, worker, scheduler, api/],
    [["--template", "--role", "worker"], /--role cannot be combined with --template/],
    [["--config", "/nonexistent/qworker.json"], /config file \/nonexistent\/qworker.json does not exist \(from --config\)/],
    [["--redis-url", "redis://:pw@h:6379"], /--redis-url is not written into the unit: it is a secret: put QWORKER_REDIS_URL/],
    [["--db", "/srv/q.db"], /--db is not written into the unit/],
    [["--nope"], /Unknown argument: nope/],
  ];
  for (const [args, message] of bad) {
    test(`exit 2 naming the flag: ${args.join(" ")}`, async () => {
      const r = await qw(["systemd", ...args], { cwd: dir, binary: unitBinary });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe("");
    });
  }

  test("from source it says to use the compiled binary, exit 2", () => {
    const r = spawnSync([process.execPath, join(ROOT, "src/main.ts"), "systemd"], { cwd: dir, stdout: "pipe", stderr: "pipe" });
    expect(r.exitCode).toBe(2);
    expect(r.stderr.toString()).toContain("running from source");
    expect(r.stdout.toString()).toBe("");
  });
});
