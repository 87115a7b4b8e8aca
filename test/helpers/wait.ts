/**
 * Waiting in tests without fixed sleeps: race a promise against a generous
 * deadline, or poll a condition until it holds (or the deadline passes with
 * a message that says what never happened).
 */

export async function within<T>(promise: Promise<T>, ms: number, what = "operation"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

export async function waitFor<T>(
  check: () => T | undefined | false | null | Promise<T | undefined | false | null>,
  opts: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = Date.now() + (opts.timeoutMs ?? 20_000);
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value as T;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`waited ${opts.timeoutMs ?? 20_000} ms for ${opts.what ?? "a condition"}` + (last ? `; last error: ${String(last)}` : ""));
    }
    await new Promise((r) => setTimeout(r, opts.intervalMs ?? 25));
  }
}

/**
 * `fetch` with its own deadline (headers and body): a server that never
 * answers fails the test after `ms` naming the request, instead of hanging
 * until the runner's timeout.
 */
export async function fetchWithin(url: string, init: RequestInit = {}, ms = 10_000): Promise<Response> {
  try {
    return await fetch(url, { ...init, signal: init.signal ?? AbortSignal.timeout(ms) });
  } catch (err) {
    if ((err as Error).name === "TimeoutError") throw new Error(`${init.method ?? "GET"} ${url}: no response within ${ms} ms`, { cause: err });
    throw err;
  }
}
