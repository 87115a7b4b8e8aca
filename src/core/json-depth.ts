/**
 * A bound on nesting, checked before anything recursive touches the value:
 * JSON.parse, zod and JSON.stringify all recurse, so a payload nested
 * 100,000 levels deep overflows the stack in whichever runs first. The
 * text check is one linear scan with a counter; the value check walks with
 * an explicit stack. Both stop as soon as the limit is passed.
 */

/** Payloads, results and config files nest at most this deep (objects and arrays). */
export const MAX_JSON_DEPTH = 64;

/** The deepest nesting of `[`/`{` in JSON text, outside strings; stops counting past `limit`. */
export function jsonTextDepth(text: string, limit = MAX_JSON_DEPTH): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return max;
}

/** The deepest nesting of objects and arrays in `value`; stops past `limit` (so cycles end too). */
export function valueDepth(value: unknown, limit = MAX_JSON_DEPTH): number {
  if (value === null || typeof value !== "object") return 0;
  let max = 0;
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [node, depth] = stack.pop()!;
    if (depth > max) {
      max = depth;
      if (max > limit) return max;
    }
    const children = Array.isArray(node) ? node : Object.values(node as object);
    for (const child of children) if (child !== null && typeof child === "object") stack.push([child, depth + 1]);
  }
  return max;
}
