/**
 * `GET /api/events`: the dashboard's live updates as server-sent events.
 * One Loop (core/loop.ts) runs while at least one stream is open: each
 * round takes the shared status read (StatusCache, so streams, scrapes and
 * polling never multiply store reads) and sends it as an `event: status`
 * to every stream when it changed, or a comment line as a keep-alive.
 * Whatever changed the store (a CLI on the same SQLite file, another host
 * on Redis, this process's workers), the counts move and the dashboard
 * refreshes what it shows.
 *
 * The dashboard reads this with fetch() and a stream reader, not
 * EventSource, because EventSource cannot send the Authorization header.
 * Bounds: MAX_STREAMS open at once (503 past it), and a stream whose reader
 * falls QUEUE_LIMIT_BYTES behind is closed; the browser reconnects.
 */

import { Loop } from "../core/loop.ts";
import type { StatusCache } from "../ops/status-cache.ts";
import { HttpError } from "./http-errors.ts";

export const MAX_STREAMS = 64;
const QUEUE_LIMIT_BYTES = 1_048_576;
/** Below Bun's default idle timeout (10 s), so a quiet stream is never cut. */
const KEEP_ALIVE_MS = 5_000;
/** How often the loop looks; the StatusCache may hold a read longer when the store is slow. */
export const DEFAULT_FEED_INTERVAL_MS = 1_000;

interface Stream {
  controller: ReadableStreamDefaultController<Uint8Array>;
  close(): void;
}

export class LiveFeed {
  private readonly streams = new Set<Stream>();
  private readonly loop: Loop;
  private readonly encoder = new TextEncoder();
  private lastSent = "";
  private lastWriteAt = 0;
  private closed = false;

  constructor(
    private readonly status: StatusCache,
    private readonly intervalMs = DEFAULT_FEED_INTERVAL_MS,
  ) {
    this.loop = new Loop({
      name: "live-feed",
      round: () => this.round(),
      onError: () => this.intervalMs * 2,
    });
  }

  get openStreams(): number {
    return this.streams.size;
  }

  /** A new event stream; ends when the client goes, when `signal` aborts, or at close(). */
  open(signal: AbortSignal): Response {
    if (this.closed) throw new HttpError(503, "unavailable", "the server is shutting down");
    if (this.streams.size >= MAX_STREAMS) throw new HttpError(503, "unavailable", `too many live streams open (${MAX_STREAMS}); close a dashboard tab, or poll GET /api/status`);
    let stream: Stream | undefined;
    const body = new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          const s: Stream = {
            controller,
            close: () => {
              if (!this.streams.delete(s)) return;
              signal.removeEventListener("abort", s.close);
              try {
                controller.close();
              } catch {
                // Already closed by the other side.
              }
              if (this.streams.size === 0) void this.loop.stop();
            },
          };
          stream = s;
          this.streams.add(s);
          signal.addEventListener("abort", s.close, { once: true });
          // The browser waits this long before reconnecting after a drop.
          this.write(s, "retry: 3000\n\n");
          const last = this.status.peek();
          if (last) this.write(s, frame(JSON.stringify(last)));
          this.loop.start();
          this.loop.wake();
        },
        cancel: () => stream?.close(),
      },
      { highWaterMark: QUEUE_LIMIT_BYTES, size: (chunk) => chunk?.byteLength ?? 0 },
    );
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        // Proxies (nginx) must pass events through as they come.
        "x-accel-buffering": "no",
      },
    });
  }

  /** Ends every stream and the loop; later opens are refused. */
  async close(): Promise<void> {
    this.closed = true;
    for (const s of [...this.streams]) s.close();
    await this.loop.stop();
  }

  private async round(): Promise<number> {
    if (this.streams.size === 0) return this.intervalMs;
    const text = JSON.stringify(await this.status.get(this.intervalMs));
    if (text !== this.lastSent) {
      this.lastSent = text;
      this.broadcast(frame(text));
    } else if (performance.now() - this.lastWriteAt >= KEEP_ALIVE_MS) {
      this.broadcast(": keep-alive\n\n");
    }
    return this.intervalMs;
  }

  private broadcast(text: string): void {
    this.lastWriteAt = performance.now();
    for (const s of [...this.streams]) this.write(s, text);
  }

  private write(s: Stream, text: string): void {
    // A reader this far behind is gone or stuck: drop it rather than buffer without bound.
    if ((s.controller.desiredSize ?? 0) <= 0) return s.close();
    try {
      s.controller.enqueue(this.encoder.encode(text));
    } catch {
      s.close();
    }
  }
}

function frame(json: string): string {
  return `event: status\ndata: ${json}\n\n`;
}
