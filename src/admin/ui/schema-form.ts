/**
 * A form for a job's payload, generated from its JSON Schema: one field per
 * property of an object schema (text, number, checkbox, a select for an
 * enum, a JSON box for anything nested), or one JSON box when the payload
 * is not an object with known properties. `read()` gives the payload the
 * fields describe; `showIssues()` puts each schema issue next to its field.
 * The browser's own form validation is off: the schema decides, with the
 * same wording for every field.
 */

import { h } from "./dom.ts";
import type { JsonSchema, SchemaIssue } from "./schema-validate.ts";

type S = Record<string, any>;

export interface SchemaForm {
  element: HTMLElement;
  /** The payload as entered, or why it cannot be read (a JSON box that is not JSON). */
  read(): { value?: unknown; error?: SchemaIssue };
  showIssues(issues: SchemaIssue[]): void;
}

interface Field {
  key: string;
  read(): { value?: unknown; error?: string };
  error: HTMLElement;
}

export function schemaForm(schema: JsonSchema | undefined): SchemaForm {
  const root = typeof schema === "object" ? (schema as S) : undefined;
  const obj = root && resolve(root, root);
  if (!obj || obj.type !== "object" || !obj.properties || Object.keys(obj.properties).length === 0) return jsonForm(root);
  const required = new Set<string>(Array.isArray(obj.required) ? obj.required : []);
  const fields = Object.entries(obj.properties as Record<string, S>).map(([key, prop]) => field(key, resolve(root, prop) ?? {}, required.has(key)));
  const summary = h("ul", { class: "issues", id: "form-issues" });
  return {
    element: h("div", { class: "schema-form" }, ...fields.map((f) => (f as Field & { row: HTMLElement }).row), summary),
    read() {
      const value: Record<string, unknown> = {};
      for (const f of fields) {
        const r = f.read();
        if (r.error) return { error: { path: f.key, message: r.error } };
        if (r.value !== undefined) value[f.key] = r.value;
      }
      return { value };
    },
    showIssues(issues) {
      for (const f of fields) f.error.textContent = "";
      const rest: SchemaIssue[] = [];
      for (const i of issues) {
        const f = fields.find((x) => i.path === x.key || i.path.startsWith(`${x.key}.`));
        if (f) f.error.textContent = f.error.textContent ? `${f.error.textContent}; ${i.message}` : i.message;
        else rest.push(i);
      }
      summary.replaceChildren(...issues.map((i) => h("li", null, i.path ? `${i.path}: ${i.message}` : i.message)));
    },
  };
}

/** The whole payload as JSON in one box (no schema, or one too irregular for fields). */
function jsonForm(schema: S | undefined): SchemaForm {
  const initial = schema && "default" in schema ? JSON.stringify(schema.default, null, 2) : schema?.type === "object" ? "{}" : "";
  const box = h("textarea", { name: "payload", class: "json", attrs: { rows: "8", spellcheck: "false", "aria-label": "payload as JSON" } });
  box.value = initial;
  const error = h("p", { class: "field-error" });
  const summary = h("ul", { class: "issues", id: "form-issues" });
  return {
    element: h("div", { class: "schema-form" }, h("label", null, "payload (JSON)", box), error, summary),
    read() {
      if (box.value.trim() === "") return { value: undefined };
      try {
        return { value: JSON.parse(box.value) };
      } catch (err) {
        return { error: { path: "", message: `is not valid JSON: ${(err as Error).message}` } };
      }
    },
    showIssues(issues) {
      error.textContent = issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join("; ");
      summary.replaceChildren(...issues.map((i) => h("li", null, i.path ? `${i.path}: ${i.message}` : i.message)));
    },
  };
}

function field(key: string, s: S, required: boolean): Field & { row: HTMLElement } {
  const error = h("p", { class: "field-error", attrs: { "data-field": key } });
  const hint = [typeOf(s), required ? "required" : "optional", s.description].filter(Boolean).join(" · ");
  const label = (control: HTMLElement) => h("div", { class: "field" }, h("label", null, h("span", { class: "field-name" }, key), h("small", null, ` ${hint}`), control), error);
  const type = typeOf(s);

  if (Array.isArray(s.enum) && s.enum.every((v: unknown) => typeof v === "string")) {
    const sel = h("select", { name: key }, ...(required && "default" in s ? [] : [h("option", { value: "" }, "—")]), ...s.enum.map((v: string) => h("option", { value: v }, v)));
    if (typeof s.default === "string") sel.value = s.default;
    return { key, error, row: label(sel), read: () => ({ value: sel.value === "" ? undefined : sel.value }) };
  }
  if (type === "boolean") {
    const box = h("input", { type: "checkbox", name: key, checked: s.default === true });
    return { key, error, row: label(box), read: () => ({ value: box.checked }) };
  }
  if (type === "string") {
    const input = h("input", { type: "text", name: key, value: typeof s.default === "string" ? s.default : "", placeholder: s.format ?? "" });
    // An empty optional text is "not given"; an empty required one is the empty string, for the schema to judge.
    return { key, error, row: label(input), read: () => ({ value: input.value === "" && !required ? undefined : input.value }) };
  }
  if (type === "number" || type === "integer") {
    const input = h("input", { type: "text", name: key, value: typeof s.default === "number" ? String(s.default) : "", attrs: { inputmode: type === "integer" ? "numeric" : "decimal" } });
    return {
      key,
      error,
      row: label(input),
      read: () => {
        const t = input.value.trim();
        if (t === "") return { value: undefined };
        const n = Number(t);
        return Number.isNaN(n) ? { error: `"${t}" is not a number` } : { value: n };
      },
    };
  }
  const box = h("textarea", { name: key, class: "json", attrs: { rows: "3", spellcheck: "false" } });
  if ("default" in s) box.value = JSON.stringify(s.default);
  return {
    key,
    error,
    row: label(box),
    read: () => {
      if (box.value.trim() === "") return { value: undefined };
      try {
        return { value: JSON.parse(box.value) };
      } catch (err) {
        return { error: `is not valid JSON: ${(err as Error).message}` };
      }
    },
  };
}

function typeOf(s: S): string | undefined {
  if (typeof s.type === "string") return s.type;
  if (Array.isArray(s.type)) return s.type.filter((t: string) => t !== "null").length === 1 ? s.type.find((t: string) => t !== "null") : undefined;
  return undefined;
}

/** Follows a `$ref` into the root's $defs (one level is what zod emits). */
function resolve(root: S, s: S | undefined): S | undefined {
  if (!s || typeof s.$ref !== "string" || !s.$ref.startsWith("#/")) return s;
  let at: any = root;
  for (const part of s.$ref.slice(2).split("/")) at = at?.[part];
  return at && typeof at === "object" ? at : s;
}
