/**
 * Config files are JSON with comments (`//`, `/* … *\/`) and trailing
 * commas allowed, so the README's annotated example can be pasted as is.
 * A small parser of our own rather than JSON.parse: every error names the
 * line and column (Bun's JSON.parse names neither), and nesting is bounded
 * before it can overflow the stack (a 100,000-level file is an error, not a
 * crash).
 */

import { MAX_JSON_DEPTH } from "../core/json-depth.ts";

export class JsoncError extends Error {
  override readonly name = "JsoncError";
  constructor(
    readonly line: number,
    readonly column: number,
    readonly reason: string,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

export function parseJsonc(text: string): unknown {
  const p = new Parser(text);
  p.skip();
  const value = p.value(0);
  p.skip();
  if (p.i < text.length) p.fail(`unexpected ${p.describe()} after the end of the document`);
  return value;
}

class Parser {
  i = 0;
  constructor(private readonly s: string) {}

  value(depth: number): unknown {
    const c = this.s[this.i];
    if (c === "{") return this.object(depth + 1);
    if (c === "[") return this.array(depth + 1);
    if (c === '"') return this.string();
    if (c === "-" || (c >= "0" && c <= "9")) return this.number();
    for (const [word, v] of [["true", true], ["false", false], ["null", null]] as const) {
      if (this.s.startsWith(word, this.i)) {
        this.i += word.length;
        return v;
      }
    }
    this.fail(`expected a value (an object, array, string, number, true, false or null), found ${this.describe()}`);
  }

  private object(depth: number): Record<string, unknown> {
    this.checkDepth(depth);
    this.i++;
    const out: Record<string, unknown> = {};
    this.skip();
    while (this.s[this.i] !== "}") {
      if (this.s[this.i] !== '"') this.fail(`expected a "quoted" key or }, found ${this.describe()}`);
      const key = this.string();
      this.skip();
      if (this.s[this.i] !== ":") this.fail(`expected : after the key "${key}", found ${this.describe()}`);
      this.i++;
      this.skip();
      // Own property, never the prototype: a "__proto__" key is data here.
      Object.defineProperty(out, key, { value: this.value(depth), enumerable: true, writable: true, configurable: true });
      this.skip();
      if (this.s[this.i] === ",") {
        this.i++;
        this.skip();
      } else if (this.s[this.i] !== "}") this.fail(`expected , or } after the value of "${key}", found ${this.describe()}`);
    }
    this.i++;
    return out;
  }

  private array(depth: number): unknown[] {
    this.checkDepth(depth);
    this.i++;
    const out: unknown[] = [];
    this.skip();
    while (this.s[this.i] !== "]") {
      out.push(this.value(depth));
      this.skip();
      if (this.s[this.i] === ",") {
        this.i++;
        this.skip();
      } else if (this.s[this.i] !== "]") this.fail(`expected , or ] in the list, found ${this.describe()}`);
    }
    this.i++;
    return out;
  }

  private string(): string {
    const start = this.i;
    this.i++;
    while (this.i < this.s.length && this.s[this.i] !== '"') {
      if (this.s[this.i] === "\\") this.i++;
      else if (this.s[this.i] === "\n") this.fail("a string runs past the end of its line; close it with \"");
      this.i++;
    }
    if (this.i >= this.s.length) {
      this.i = start;
      this.fail("a string is never closed");
    }
    this.i++;
    try {
      return JSON.parse(this.s.slice(start, this.i)) as string;
    } catch {
      this.i = start;
      this.fail("a string has an invalid escape (use \\\\, \\\", \\n, \\uXXXX …)");
    }
  }

  private number(): number {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(this.s.slice(this.i, this.i + 64));
    if (!m) this.fail(`expected a number, found ${this.describe()}`);
    this.i += m[0].length;
    return Number(m[0]);
  }

  /** Skips white space and comments. */
  skip(): void {
    for (;;) {
      const c = this.s[this.i];
      if (c === " " || c === "\t" || c === "\n" || c === "\r" || c === "\ufeff") this.i++;
      else if (c === "/" && this.s[this.i + 1] === "/") {
        while (this.i < this.s.length && this.s[this.i] !== "\n") this.i++;
      } else if (c === "/" && this.s[this.i + 1] === "*") {
        const end = this.s.indexOf("*/", this.i + 2);
        if (end < 0) this.fail("a /* comment is never closed with */");
        this.i = end + 2;
      } else return;
    }
  }

  describe(): string {
    if (this.i >= this.s.length) return "the end of the file";
    return JSON.stringify(this.s.slice(this.i, this.i + 12));
  }

  private checkDepth(depth: number): void {
    if (depth > MAX_JSON_DEPTH) this.fail(`objects and arrays nest more than ${MAX_JSON_DEPTH} levels deep`);
  }

  fail(reason: string): never {
    let line = 1;
    let lineStart = 0;
    for (let k = 0; k < this.i && k < this.s.length; k++) {
      if (this.s[k] === "\n") {
        line++;
        lineStart = k + 1;
      }
    }
    throw new JsoncError(line, this.i - lineStart + 1, reason);
  }
}
