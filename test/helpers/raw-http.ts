/**
 * HTTP requests written byte for byte, for tests that must send what
 * `fetch` would tidy up: repeated slashes, dot segments, odd Host headers,
 * HTTP/1.0 without Host, CONNECT. One request per connection. A reply that
 * is an event stream (GET /api/events) never ends by itself: it resolves
 * once the head and the first event arrived, and the connection is closed.
 */

import { connect } from "node:net";

export interface RawReply {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export interface RawRequest {
  method?: string;
  target: string;
  /** Header lines in order; `host` is not added for you (so a test can leave it out). */
  headers?: [string, string][];
  body?: string;
  version?: "HTTP/1.1" | "HTTP/1.0";
}

export function rawRequest(port: number, req: RawRequest, timeoutMs = 5_000): Promise<RawReply> {
  const lines = [`${req.method ?? "GET"} ${req.target} ${req.version ?? "HTTP/1.1"}`];
  for (const [k, v] of req.headers ?? []) lines.push(`${k}: ${v}`);
  const body = req.body ?? "";
  if (body !== "" || (req.method && req.method !== "GET" && req.method !== "HEAD")) lines.push(`content-length: ${Buffer.byteLength(body)}`);
  lines.push("connection: close");
  const text = lines.join("\r\n") + "\r\n\r\n" + body;
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply within ${timeoutMs} ms to ${req.method ?? "GET"} ${req.target}`));
    }, timeoutMs);
    socket.on("connect", () => socket.write(text));
    socket.on("data", (d: Buffer) => {
      chunks.push(d);
      const sofar = Buffer.concat(chunks).toString("utf8");
      const head = sofar.indexOf("\r\n\r\n");
      if (head >= 0 && /^content-type:\s*text\/event-stream/im.test(sofar.slice(0, head)) && sofar.indexOf("\n\n", head + 4) >= 0) socket.destroy();
    });
    socket.on("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.on("close", () => {
      clearTimeout(timer);
      const all = Buffer.concat(chunks).toString("utf8");
      const split = all.indexOf("\r\n\r\n");
      const head = split >= 0 ? all.slice(0, split) : all;
      const [statusLine, ...headerLines] = head.split("\r\n");
      const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1] ?? 0);
      const headers: Record<string, string> = {};
      for (const l of headerLines) {
        const i = l.indexOf(":");
        if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
      }
      resolve({ status, headers, body: split >= 0 ? all.slice(split + 4) : "" });
    });
  });
}
