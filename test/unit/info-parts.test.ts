/**
 * The parts of `qworker info` that decide what a user sees: secrets are
 * masked (admin token, a password in a redis or postgres URL, a
 * password-only Redis userinfo) while the rest stays readable, and
 * containers are recognised by their usual tells.
 */

import { describe, expect, test } from "bun:test";
import { detectContainer } from "../../src/core/platform.ts";
import { maskSetting, maskUrl, qworkerEnv } from "../../src/core/secrets.ts";

describe("masking secrets", () => {
  test("a password in a redis, rediss or postgres URL is masked; host, port, user and path stay", () => {
    expect(maskUrl("redis://:s3cret@10.0.0.5:6379/0")).toBe("redis://:****@10.0.0.5:6379/0");
    expect(maskUrl("rediss://app:s3cret@cache.internal:6380")).toBe("rediss://app:****@cache.internal:6380");
    expect(maskUrl("postgres://qw:p%40ss@db:5432/jobs?sslmode=require")).toBe("postgres://qw:****@db:5432/jobs?sslmode=require");
    expect(maskUrl("redis://s3cret@10.0.0.5:6379")).toBe("redis://****@10.0.0.5:6379");
  });

  test("URLs without a secret and plain text come back unchanged", () => {
    expect(maskUrl("redis://127.0.0.1:6379")).toBe("redis://127.0.0.1:6379");
    expect(maskUrl("./data/qworker.db")).toBe("./data/qworker.db");
  });

  test("a variable named like a token, secret or password is masked whole, saying it is set", () => {
    expect(maskSetting("QWORKER_ADMIN_TOKEN", "abcdefghijklmnop")).toBe("**** (set, 16 chars)");
    expect(maskSetting("QWORKER_ADMIN_HOST", "0.0.0.0")).toBe("0.0.0.0");
  });

  test("qworkerEnv lists only QWORKER_* variables, sorted and masked", () => {
    expect(qworkerEnv({ PATH: "/bin", QWORKER_REDIS_URL: "redis://:pw@h:1", QWORKER_ADMIN_TOKEN: "t0ken-t0ken-t0ken", QWORKER_MODE: "thread" })).toEqual({
      QWORKER_ADMIN_TOKEN: "**** (set, 17 chars)",
      QWORKER_MODE: "thread",
      QWORKER_REDIS_URL: "redis://:****@h:1",
    });
  });
});

describe("container detection", () => {
  const files = (present: Record<string, string>) => (path: string) => present[path];

  test("kubernetes, podman, docker, a container= variable and cgroup paths are each recognised, with the evidence", () => {
    expect(detectContainer({ KUBERNETES_SERVICE_HOST: "10.0.0.1" }, files({ "/.dockerenv": "" }))).toEqual({ container: "kubernetes", containerEvidence: "KUBERNETES_SERVICE_HOST is set" });
    expect(detectContainer({}, files({ "/run/.containerenv": "" }))).toEqual({ container: "podman", containerEvidence: "/run/.containerenv exists" });
    expect(detectContainer({}, files({ "/.dockerenv": "" }))).toEqual({ container: "docker", containerEvidence: "/.dockerenv exists" });
    expect(detectContainer({ container: "systemd-nspawn" }, files({}))).toEqual({ container: "systemd-nspawn", containerEvidence: "container=systemd-nspawn in the environment" });
    expect(detectContainer({}, files({ "/proc/1/cgroup": "0::/kubepods/besteffort/pod1/abc" }))).toMatchObject({ container: "kubernetes" });
    expect(detectContainer({}, files({ "/proc/1/cgroup": "12:pids:/docker/0123abcd" }))).toMatchObject({ container: "docker" });
  });

  test("a plain host is no container", () => {
    expect(detectContainer({}, files({ "/proc/1/cgroup": "0::/init.scope" }))).toEqual({ container: null });
  });
});
