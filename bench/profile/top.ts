/**
 * Prints the functions with the most self time in a `.cpuprofile` (what
 * `bun --cpu-prof` writes): where a drain spends its CPU, function by
 * function, without opening a profiler UI.
 *
 *   bun bench/profile/top.ts <file.cpuprofile> [n=10]
 */

import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export function topSelfTime(profile: Profile, n: number): { name: string; ms: number; share: number }[] {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const self = new Map<string, number>();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!.callFrame;
    const file = frame.url.split("/").at(-1) || "(native)";
    const name = `${frame.functionName || "(anonymous)"} ${file}:${frame.lineNumber + 1}`;
    const us = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + us);
    total += us;
  });
  return [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / total }));
}

if (import.meta.main) {
  const [file, n] = Bun.argv.slice(2);
  if (!file) throw new Error("usage: bun bench/profile/top.ts <file.cpuprofile> [n]");
  const rows = topSelfTime(JSON.parse(readFileSync(file, "utf8")) as Profile, Number(n ?? 10));
  console.log("| self ms | share | function |\n|---:|---:|---|");
  for (const r of rows) console.log(`| ${r.ms.toFixed(1)} | ${(r.share * 100).toFixed(1)}% | \`${r.name}\` |`);
}
