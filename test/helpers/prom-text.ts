/**
 * A strict parser of the Prometheus text exposition format (0.0.4), for
 * tests that scrape GET /metrics. Strict where Prometheus is: every sample
 * belongs to a family declared by a `# TYPE` line before it, names and
 * label names follow the grammar, label values use only the three escapes,
 * values are floats (or +Inf, -Inf, NaN), a series appears once, the text
 * ends with a newline, and a histogram's buckets are cumulative with a
 * `+Inf` bucket equal to its `_count`.
 */

export interface PromSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface PromFamily {
  type: "counter" | "gauge" | "histogram" | "summary" | "untyped";
  help?: string;
  samples: PromSample[];
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export function parsePromText(text: string): Map<string, PromFamily> {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("the exposition must end with a newline");
  const families = new Map<string, PromFamily>();
  const seen = new Set<string>();
  const lines = text.split("\n").slice(0, -1);
  lines.forEach((line, i) => {
    const at = `line ${i + 1}`;
    if (line === "") return;
    if (line.startsWith("#")) {
      const m = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
      if (!m) return; // a plain comment
      const [, kind, name, rest] = m;
      if (!NAME.test(name)) throw new Error(`${at}: bad metric name "${name}"`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) throw new Error(`${at}: unknown type "${rest}"`);
        const fam = families.get(name);
        if (fam?.samples.length || (fam && fam.type !== "untyped")) throw new Error(`${at}: TYPE for ${name} comes twice or after its samples`);
        families.set(name, { ...(fam ?? { samples: [] }), type: rest as PromFamily["type"] });
      } else {
        const fam = families.get(name) ?? { type: "untyped" as const, samples: [] };
        if (fam.help !== undefined) throw new Error(`${at}: HELP for ${name} comes twice`);
        fam.help = unescapeHelp(rest, at);
        families.set(name, fam);
      }
      return;
    }
    const s = parseSample(line, at);
    const family = familyOf(families, s.name);
    if (!family || family.type === "untyped") throw new Error(`${at}: sample ${s.name} has no TYPE line before it`);
    const key = `${s.name}{${Object.entries(s.labels).sort().map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
    if (seen.has(key)) throw new Error(`${at}: series ${key} appears twice`);
    seen.add(key);
    family.samples.push(s);
  });
  for (const [name, fam] of families) if (fam.type === "histogram") checkHistogram(name, fam);
  return families;
}

/** The value of the series `name` with exactly these labels, or undefined. */
export function sample(families: Map<string, PromFamily>, name: string, labels: Record<string, string>): number | undefined {
  const fam = familyOf(families, name);
  const want = JSON.stringify(Object.entries(labels).sort());
  return fam?.samples.find((s) => s.name === name && JSON.stringify(Object.entries(s.labels).sort()) === want)?.value;
}

/** The sum of every series `name` whose labels include `labels`. */
export function total(families: Map<string, PromFamily>, name: string, labels: Record<string, string> = {}): number {
  const fam = familyOf(families, name);
  return (fam?.samples ?? []).filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v)).reduce((n, s) => n + s.value, 0);
}

function familyOf(families: Map<string, PromFamily>, sampleName: string): PromFamily | undefined {
  const direct = families.get(sampleName);
  if (direct) return direct;
  const m = /^(.*)_(bucket|sum|count)$/.exec(sampleName);
  const fam = m ? families.get(m[1]) : undefined;
  return fam && (fam.type === "histogram" || fam.type === "summary") ? fam : undefined;
}

function parseSample(line: string, at: string): PromSample {
  let i = 0;
  while (i < line.length && /[a-zA-Z0-9_:]/.test(line[i])) i++;
  const name = line.slice(0, i);
  if (!NAME.test(name)) throw new Error(`${at}: bad sample name in "${line}"`);
  const labels: Record<string, string> = {};
  if (line[i] === "{") {
    i++;
    while (line[i] !== "}") {
      const start = i;
      while (i < line.length && /[a-zA-Z0-9_]/.test(line[i])) i++;
      const label = line.slice(start, i);
      if (!LABEL.test(label)) throw new Error(`${at}: bad label name in "${line}"`);
      if (line[i] !== "=" || line[i + 1] !== '"') throw new Error(`${at}: expected ="…" after label ${label}`);
      i += 2;
      let value = "";
      for (;;) {
        if (i >= line.length) throw new Error(`${at}: unterminated label value`);
        const c = line[i++];
        if (c === '"') break;
        if (c === "\\") {
          const e = line[i++];
          if (e === "\\") value += "\\";
          else if (e === '"') value += '"';
          else if (e === "n") value += "\n";
          else throw new Error(`${at}: bad escape \\${e} in a label value`);
        } else value += c;
      }
      if (label in labels) throw new Error(`${at}: label ${label} twice`);
      labels[label] = value;
      if (line[i] === ",") i++;
      else if (line[i] !== "}") throw new Error(`${at}: expected , or } in "${line}"`);
    }
    i++;
  }
  if (line[i] !== " ") throw new Error(`${at}: expected a space before the value in "${line}"`);
  const [valueText, timestamp, ...extra] = line.slice(i + 1).split(" ");
  if (extra.length || (timestamp !== undefined && !/^-?\d+$/.test(timestamp))) throw new Error(`${at}: junk after the value in "${line}"`);
  return { name, labels, value: parseValue(valueText, at) };
}

function parseValue(text: string, at: string): number {
  if (text === "+Inf" || text === "Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return Number.NaN;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`${at}: bad value "${text}"`);
  return Number(text);
}

function unescapeHelp(text: string, at: string): string {
  return text.replace(/\\(.)/g, (_, c: string) => {
    if (c === "\\") return "\\";
    if (c === "n") return "\n";
    throw new Error(`${at}: bad escape \\${c} in HELP`);
  });
}

function checkHistogram(name: string, fam: PromFamily): void {
  const series = new Map<string, { buckets: [number, number][]; count?: number }>();
  for (const s of fam.samples) {
    const { le, ...rest } = s.labels;
    const key = JSON.stringify(Object.entries(rest).sort());
    const entry = series.get(key) ?? { buckets: [] };
    series.set(key, entry);
    if (s.name === `${name}_bucket`) {
      if (le === undefined) throw new Error(`${name}_bucket without le`);
      entry.buckets.push([parseValue(le, name), s.value]);
    } else if (s.name === `${name}_count`) entry.count = s.value;
  }
  for (const [key, e] of series) {
    const sorted = [...e.buckets].sort((a, b) => a[0] - b[0]);
    for (let i = 1; i < sorted.length; i++) if (sorted[i][1] < sorted[i - 1][1]) throw new Error(`${name}${key}: buckets are not cumulative`);
    const inf = sorted.at(-1);
    if (!inf || inf[0] !== Infinity) throw new Error(`${name}${key}: no +Inf bucket`);
    if (e.count !== inf[1]) throw new Error(`${name}${key}: _count ${e.count} differs from the +Inf bucket ${inf[1]}`);
  }
}
