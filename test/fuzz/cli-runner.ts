/**
 * Runs qworker's command line in this process, as the binary would, for
 * fuzzing (a process per input would cost ~100 ms each): output is
 * captured, process.exit becomes an exception, and what escapes `main` is
 * classified as the binary's top level does (a QworkerError's exit code;
 * anything else is "unexpected", exit 1, which the fuzzer reports).
 */

import { QworkerError } from "../../src/core/errors.ts";
import { inertLines } from "../../src/core/inert.ts";
import { main } from "../../src/main.ts";

class Exit extends Error {
  constructor(readonly code: number) {
    super(`process.exit(${code})`);
  }
}

export interface CliRun {
  code: number;
  output: string;
  /** Set when something other than a QworkerError escaped: a bug. */
  unexpected?: string;
}

export async function runCliInProcess(args: string[]): Promise<CliRun> {
  const real = { exit: process.exit, out: process.stdout.write, err: process.stderr.write, log: console.log, error: console.error };
  const chunks: string[] = [];
  const capture = (t: unknown) => {
    chunks.push(String(t));
    return true;
  };
  process.exit = ((code?: number) => {
    throw new Exit(code ?? 0);
  }) as typeof process.exit;
  process.stdout.write = capture as typeof process.stdout.write;
  process.stderr.write = capture as typeof process.stderr.write;
  console.log = console.error = (...a: unknown[]) => void capture(a.join(" ") + "\n");
  try {
    await main(args);
    return { code: 0, output: chunks.join("") };
  } catch (err) {
    if (err instanceof Exit) return { code: err.code, output: chunks.join("") };
    // As main.ts's top level prints it.
    if (err instanceof QworkerError) return { code: err.exitCode, output: `${chunks.join("")}qworker: ${inertLines(err.message)}\n` };
    return { code: 1, output: chunks.join(""), unexpected: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  } finally {
    process.exit = real.exit;
    process.stdout.write = real.out;
    process.stderr.write = real.err;
    console.log = real.log;
    console.error = real.error;
  }
}
