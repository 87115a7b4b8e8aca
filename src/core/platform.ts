/**
 * What `qworker info` says about the machine: the OS by its everyday name
 * (Linux with its distribution, macOS with its version), the CPU and
 * memory, and whether this process runs in a container, with the evidence,
 * because limits, hostnames and pid reuse differ there. Reads a few small
 * files; starts nothing.
 */

import { existsSync, readFileSync } from "node:fs";
import { availableParallelism, arch, platform, release, totalmem } from "node:os";

export interface PlatformInfo {
  os: string;
  arch: string;
  kernel: string;
  cpus: number;
  memoryMb: number;
  /** docker | podman | kubernetes | lxc | systemd-nspawn | another `container=` value; null when none is detected. */
  container: string | null;
  /** What gave the container away (a file, an env var, a cgroup path). */
  containerEvidence?: string;
}

export function platformInfo(env: NodeJS.ProcessEnv = process.env, read: (path: string) => string | undefined = readSmall): PlatformInfo {
  const os = platform();
  const info: PlatformInfo = {
    os: osName(os, read),
    arch: arch(),
    kernel: release(),
    cpus: availableParallelism(),
    memoryMb: Math.round(totalmem() / 1_048_576),
    container: null,
  };
  if (os === "linux") Object.assign(info, detectContainer(env, read));
  return info;
}

function osName(os: string, read: (path: string) => string | undefined): string {
  if (os === "darwin") {
    // Darwin 23 is macOS 14, 24 is 15, ...: close enough without spawning sw_vers.
    const major = Number(release().split(".")[0]);
    return Number.isFinite(major) && major >= 20 ? `macOS ${major - 9}` : "macOS";
  }
  if (os === "linux") {
    const pretty = /^PRETTY_NAME="?([^"\n]+)"?/m.exec(read("/etc/os-release") ?? "");
    return pretty ? `Linux (${pretty[1]})` : "Linux";
  }
  return os;
}

/** The usual tells, most specific first. */
export function detectContainer(env: NodeJS.ProcessEnv, read: (path: string) => string | undefined): Pick<PlatformInfo, "container" | "containerEvidence"> {
  if (env.KUBERNETES_SERVICE_HOST) return { container: "kubernetes", containerEvidence: "KUBERNETES_SERVICE_HOST is set" };
  if (read("/run/.containerenv") !== undefined) return { container: "podman", containerEvidence: "/run/.containerenv exists" };
  if (read("/.dockerenv") !== undefined) return { container: "docker", containerEvidence: "/.dockerenv exists" };
  if (env.container) return { container: env.container, containerEvidence: `container=${env.container} in the environment` };
  const cgroup = read("/proc/1/cgroup") ?? "";
  const hit = /(kubepods|docker|containerd|libpod|lxc)/.exec(cgroup);
  if (hit) {
    const name = hit[1] === "kubepods" ? "kubernetes" : hit[1] === "libpod" ? "podman" : hit[1] === "containerd" ? "containerd" : hit[1];
    return { container: name, containerEvidence: `/proc/1/cgroup mentions ${hit[1]}` };
  }
  return { container: null };
}

function readSmall(path: string): string | undefined {
  try {
    return existsSync(path) ? readFileSync(path, "utf8").slice(0, 64 * 1024) : undefined;
  } catch {
    return undefined;
  }
}
