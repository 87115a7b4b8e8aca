/**
 * Live status for the dashboard. It reads GET /api/events with fetch() and
 * a stream reader (EventSource cannot send the Authorization header) and
 * hands each `status` event to the views. When the stream cannot be opened
 * or keeps dropping, it polls GET /api/status every POLL_MS instead, and
 * tries the stream again after a while: the views never know which.
 */

import { api, authHeaders, Unauthorized } from "./api.ts";
import type { StatusReport } from "../../ops/operations.ts";

export type LiveState = "live" | "polling" | "offline";

const POLL_MS = 3_000;
/** Polling rounds before the stream is tried again. */
const POLLS_BEFORE_RETRY = 10;

export class Live {
  private stopped = false;

  constructor(
    private readonly onStatus: (s: StatusReport) => void,
    private readonly onState: (s: LiveState) => void,
    private readonly onUnauthorized: () => void,
  ) {}

  start(): void {
    void this.run();
  }

  /** Fetch the status now (after an action), whatever the mode. */
  async refresh(): Promise<void> {
    try {
      this.onStatus(await api.status());
    } catch (err) {
      if (err instanceof Unauthorized) this.onUnauthorized();
    }
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      const opened = await this.stream();
      if (opened === "unauthorized") {
        this.onUnauthorized();
        await sleep(1_000);
        continue;
      }
      // The stream failed to open or dropped: poll for a while, then try it again.
      this.onState("polling");
      for (let i = 0; i < POLLS_BEFORE_RETRY && !this.stopped; i++) {
        try {
          this.onStatus(await api.status());
          this.onState("polling");
        } catch (err) {
          if (err instanceof Unauthorized) {
            this.onUnauthorized();
            break;
          }
          this.onState("offline");
        }
        await sleep(POLL_MS);
      }
    }
  }

  /** Reads the event stream until it ends; says why it ended. */
  private async stream(): Promise<"ended" | "unauthorized"> {
    let res: Response;
    try {
      res = await fetch("/api/events", { headers: { accept: "text/event-stream", ...authHeaders() }, cache: "no-store" });
    } catch {
      return "ended";
    }
    if (res.status === 401) return "unauthorized";
    if (!res.ok || !res.body) return "ended";
    this.onState("live");
    const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buf += value;
        let end: number;
        while ((end = buf.indexOf("\n\n")) >= 0) {
          this.dispatch(buf.slice(0, end));
          buf = buf.slice(end + 2);
        }
      }
    } catch {
      // Dropped: the caller falls back to polling.
    }
    return "ended";
  }

  private dispatch(block: string): void {
    let event = "message";
    const data: string[] = [];
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) continue;
      const colon = line.indexOf(":");
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
      if (field === "event") event = value;
      else if (field === "data") data.push(value);
    }
    if (event !== "status" || data.length === 0) return;
    try {
      this.onStatus(JSON.parse(data.join("\n")) as StatusReport);
    } catch {
      // A malformed event is skipped; the next one replaces it.
    }
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
