/**
 * The one shape every long-running loop has (pool, processor, lease keeper,
 * leader, cron, promoter, rescuer, admin server): `start()`, an idempotent
 * `stop()`, and typed events that tests await instead of sleeping.
 */

export interface Service {
  start(): Promise<void> | void;
  /** Safe to call more than once, and before start. */
  stop(): Promise<void>;
}

type Listener<T> = (payload: T) => void;

/** A tiny typed emitter: `Events` maps event names to payload types. */
export class TypedEmitter<Events extends Record<string, unknown>> {
  private listeners = new Map<keyof Events, Set<Listener<any>>>();

  on<K extends keyof Events>(event: K, fn: Listener<Events[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) this.listeners.set(event, (set = new Set()));
    set.add(fn);
    return () => set!.delete(fn);
  }

  /** Whether anyone listens: lets a hot path skip building a payload nobody reads. */
  listens<K extends keyof Events>(event: K): boolean {
    return (this.listeners.get(event)?.size ?? 0) > 0;
  }

  emit<K extends keyof Events>(event: K, payload: Events[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    for (const fn of [...set]) {
      try {
        fn(payload);
      } catch {
        // A listener's bug must not break the loop that emitted.
      }
    }
  }

  /** Resolves with the first payload of `event` that satisfies `match`. */
  once<K extends keyof Events>(event: K, match: (p: Events[K]) => boolean = () => true, timeoutMs = 30_000): Promise<Events[K]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`timed out after ${timeoutMs} ms waiting for "${String(event)}"`));
      }, timeoutMs);
      const off = this.on(event, (p) => {
        if (!match(p)) return;
        clearTimeout(timer);
        off();
        resolve(p);
      });
    });
  }
}

/** Sleep that ends early when `signal` aborts; resolves either way. */
export function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
