/**
 * Job listings page newest first by (createdAt, id), ids in shortlex order
 * (core/ids.ts). The cursor is that key of the last job on a page,
 * base64url-encoded so callers treat it as opaque.
 */

import { UsageError } from "../core/errors.ts";
import { compareIds } from "../core/ids.ts";

export interface PageKey {
  createdAt: number;
  id: string;
}

export function encodeCursor(key: PageKey): string {
  return Buffer.from(`${key.createdAt}:${key.id}`).toString("base64url");
}

export function decodeCursor(cursor: string): PageKey {
  const text = Buffer.from(cursor, "base64url").toString();
  const sep = text.indexOf(":");
  const createdAt = Number(text.slice(0, sep));
  if (sep < 1 || !Number.isFinite(createdAt)) throw new UsageError(`cursor "${cursor}" is not one this server issued; pass the nextCursor of a previous page`);
  return { createdAt, id: text.slice(sep + 1) };
}

/** Negative when `a` comes first in a newest-first listing. */
export function comparePageKey(a: PageKey, b: PageKey): number {
  if (a.createdAt !== b.createdAt) return b.createdAt - a.createdAt;
  return -compareIds(a.id, b.id);
}
