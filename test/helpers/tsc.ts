/**
 * Runs the project's TypeScript compiler over a few files, for tests whose
 * real assertions are types (`@ts-expect-error`, `satisfies`): bun strips
 * types without checking them, so only tsc can make such a test fail.
 *
 * `copyWithEdit` makes a checked variant of a source file in a temp folder
 * (never beside the original, where a parallel `npm run typecheck` would
 * see a deliberately broken file), so a test can prove a check still bites.
 */

import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, dirname, join, resolve } from "node:path";

const ROOT = resolve(import.meta.dir, "../..");
const TSC = join(ROOT, "node_modules/typescript/bin/tsc");

export interface TscDiagnostic {
  file: string;
  /** 1-based, as tsc prints it. */
  line: number;
  code: string;
  message: string;
}

export interface TscResult {
  code: number;
  diagnostics: TscDiagnostic[];
  output: string;
}

export interface TscWorkspace {
  dir: string;
  /** Writes `text` as `name` in the workspace, with relative imports made absolute from `from`'s folder. */
  copyWithEdit(from: string, name: string, edit: (text: string) => string): string;
  /** `tsc --noEmit` over exactly these files (and what they import) with the project's compiler options. */
  check(files: string[], timeoutMs?: number): Promise<TscResult>;
  cleanup(): void;
}

export function tscWorkspace(): TscWorkspace {
  const dir = mkdtempSync(join(tmpdir(), "qw-tsc-"));
  return {
    dir,
    copyWithEdit(from, name, edit) {
      const base = dirname(from);
      const text = readFileSync(from, "utf8").replace(/(from\s+|import\s*\()(["'])(\.\.?\/[^"']+)\2/g, (_, lead, q, rel) => `${lead}${q}${resolve(base, rel)}${q}`);
      const out = join(dir, basename(name));
      writeFileSync(out, edit(text));
      return out;
    },
    async check(files, timeoutMs = 60_000) {
      const config = join(dir, `tsconfig.${Math.random().toString(36).slice(2)}.json`);
      writeFileSync(
        config,
        JSON.stringify({
          extends: join(ROOT, "tsconfig.json"),
          compilerOptions: {
            noEmit: true,
            // Resolved from the project, not from the temp folder the copies live in.
            typeRoots: [join(ROOT, "node_modules/@types")],
            // Declarations first: for a package typed by @types (pg), node_modules/<name> alone is untyped JavaScript.
            paths: { qworker: [join(ROOT, "src/sdk/index.ts")], "*": [join(ROOT, "node_modules/@types/*"), join(ROOT, "node_modules/*")] },
          },
          include: [],
          files: [...files, join(ROOT, "src/store/redis/lua.d.ts")],
        }),
      );
      const proc = Bun.spawn([process.execPath, TSC, "-p", config, "--pretty", "false"], { cwd: ROOT, stdout: "pipe", stderr: "pipe", timeout: timeoutMs });
      const [stdout, stderr, code] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text(), proc.exited]);
      if (proc.signalCode) throw new Error(`tsc was killed (${proc.signalCode}); it is given ${timeoutMs} ms`);
      const output = stdout + stderr;
      const diagnostics = [...output.matchAll(/^(.+?)\((\d+),\d+\): error (TS\d+): (.*)$/gm)].map((m) => ({
        file: resolve(ROOT, m[1]),
        line: Number(m[2]),
        code: m[3],
        message: m[4],
      }));
      return { code, diagnostics, output };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
