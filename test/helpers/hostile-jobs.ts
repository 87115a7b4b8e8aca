/**
 * Job modules a careless or hostile author might write, for the tests of
 * module loading (vetting, validate against run). Written into a temp
 * folder by each test, never kept under test/fixtures, where another test
 * loading a fixture folder would hang on them.
 */

import { mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const good = (name: string) => `import { defineJob } from "qworker";\nexport default defineJob({ name: "${name}", async run() { return "ok"; } });\n`;

/** file name → source; `null` marks a symlink made by `writeHostileJobs`. */
export const HOSTILE_SOURCES: Record<string, string> = {
  "spins.ts": `import { defineJob } from "qworker";\nwhile (true) {}\nexport default defineJob({ name: "spins", async run() {} });\n`,
  "never-settles.ts": `import { defineJob } from "qworker";\nawait new Promise(() => {});\nexport default defineJob({ name: "never-settles", async run() {} });\n`,
  "exits.ts": `import { defineJob } from "qworker";\nprocess.exit(0);\nexport default defineJob({ name: "exits", async run() {} });\n`,
};

/** Writes the hostile modules, a good one, a broken symlink and a symlink to a module outside the folder. */
export function writeHostileJobs(jobsDir: string, outsideDir: string): void {
  mkdirSync(jobsDir, { recursive: true });
  mkdirSync(outsideDir, { recursive: true });
  for (const [file, source] of Object.entries(HOSTILE_SOURCES)) writeFileSync(join(jobsDir, file), source);
  writeFileSync(join(jobsDir, "fine.ts"), good("fine"));
  symlinkSync(join(jobsDir, "gone.ts"), join(jobsDir, "broken-link.ts"));
  writeFileSync(join(outsideDir, "elsewhere.ts"), good("elsewhere"));
  symlinkSync(join(outsideDir, "elsewhere.ts"), join(jobsDir, "outside-link.ts"));
}

export { good as goodJobSource };
