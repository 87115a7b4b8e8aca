/**
 * Plays systemd's side of sd_notify in tests: a Unix datagram socket the
 * test owns (Bun has no datagram API for Unix sockets, so bun:ffi, and no
 * python3 needed), with SO_PASSCRED so each message carries the sender's
 * pid, as systemd checks for NotifyAccess=main. Messages are drained every
 * few ms and kept with their arrival time; tests await them by predicate.
 */

import { dlopen, FFIType, ptr, read } from "bun:ffi";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const libc = dlopen("libc.so.6", {
  socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
  bind: { args: [FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  setsockopt: { args: [FFIType.i32, FFIType.i32, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i32 },
  recvmsg: { args: [FFIType.i32, FFIType.ptr, FFIType.i32], returns: FFIType.i64 },
  close: { args: [FFIType.i32], returns: FFIType.i32 },
  __errno_location: { args: [], returns: FFIType.ptr },
}).symbols;

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
const SOL_SOCKET = 1;
const SO_PASSCRED = 16;
const SCM_CREDENTIALS = 2;
const MSG_DONTWAIT = 0x40;
const EAGAIN = 11;

export interface NotifyMessage {
  /** Date.now() when the test read it (within a few ms of its arrival). */
  at: number;
  /** Sender's pid, from SCM_CREDENTIALS. */
  pid: number;
  raw: string;
  fields: Record<string, string>;
}

export function sockaddrUn(target: string): { addr: Uint8Array; len: number } {
  const abstract = target.startsWith("@");
  const name = new TextEncoder().encode(abstract ? target.slice(1) : target);
  const addr = new Uint8Array(110);
  new DataView(addr.buffer).setUint16(0, AF_UNIX, true);
  addr.set(name, abstract ? 3 : 2);
  return { addr, len: abstract ? 3 + name.length : 2 + name.length + 1 };
}

export class NotifyReceiver {
  readonly messages: NotifyMessage[] = [];
  private readonly waiters = new Set<{ from: number; match: (m: NotifyMessage) => boolean; resolve: (m: NotifyMessage) => void }>();
  private readonly timer: ReturnType<typeof setInterval>;
  // recvmsg buffers, allocated once and kept referenced while the socket lives.
  private readonly data = new Uint8Array(4096);
  private readonly control = new Uint8Array(64);
  private readonly iov = new BigUint64Array(2);
  private readonly msghdr = new Uint8Array(56);

  private constructor(
    readonly path: string,
    private readonly fd: number,
    private readonly dir?: string,
  ) {
    this.iov[0] = BigInt(ptr(this.data));
    this.iov[1] = BigInt(this.data.length);
    this.timer = setInterval(() => this.drain(), 3);
  }

  /** A socket in a fresh temp dir, or in the abstract namespace when `abstractName` is given ("@name"). */
  static open(abstractName?: string): NotifyReceiver {
    const dir = abstractName ? undefined : mkdtempSync(join(tmpdir(), "qw-notify-"));
    const path = abstractName ?? join(dir!, "notify.sock");
    const fd = libc.socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new Error(`socket: errno ${errno()}`);
    const { addr, len } = sockaddrUn(path);
    if (libc.bind(fd, ptr(addr), len) !== 0) throw new Error(`bind ${path}: errno ${errno()}`);
    const one = new Int32Array([1]);
    if (libc.setsockopt(fd, SOL_SOCKET, SO_PASSCRED, ptr(one), 4) !== 0) throw new Error(`SO_PASSCRED: errno ${errno()}`);
    return new NotifyReceiver(path, fd, dir);
  }

  /** The first message from index `from` on (past or future) that matches. */
  waitFor(match: (m: NotifyMessage) => boolean, opts: { from?: number; timeoutMs?: number; what?: string } = {}): Promise<NotifyMessage> {
    const from = opts.from ?? 0;
    const seen = this.messages.slice(from).find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const waiter = { from, match, resolve: (m: NotifyMessage) => (clearTimeout(timer), resolve(m)) };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`no notification ${opts.what ?? "matching"} within ${opts.timeoutMs ?? 30_000} ms; got:\n${this.messages.map((m) => JSON.stringify(m.raw)).join("\n")}`));
      }, opts.timeoutMs ?? 30_000);
      this.waiters.add(waiter);
    });
  }

  /** Messages that set `key` (e.g. "WATCHDOG"). */
  with(key: string): NotifyMessage[] {
    return this.messages.filter((m) => key in m.fields);
  }

  close(): void {
    clearInterval(this.timer);
    libc.close(this.fd);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }

  private drain(): void {
    for (;;) {
      const view = new DataView(this.msghdr.buffer);
      this.msghdr.fill(0);
      this.control.fill(0);
      view.setBigUint64(16, BigInt(ptr(this.iov)), true); // msg_iov
      view.setBigUint64(24, 1n, true); // msg_iovlen
      view.setBigUint64(32, BigInt(ptr(this.control)), true); // msg_control
      view.setBigUint64(40, BigInt(this.control.length), true); // msg_controllen
      const n = Number(libc.recvmsg(this.fd, ptr(this.msghdr), MSG_DONTWAIT));
      if (n < 0) {
        const e = errno();
        if (e === EAGAIN) return;
        throw new Error(`recvmsg: errno ${e}`);
      }
      const raw = new TextDecoder().decode(this.data.subarray(0, n));
      this.push({ at: Date.now(), pid: this.senderPid(), raw, fields: parseFields(raw) });
    }
  }

  /** cmsghdr { size_t len; int level; int type; } then struct ucred { pid; uid; gid; }. */
  private senderPid(): number {
    const c = new DataView(this.control.buffer);
    if (c.getInt32(8, true) !== SOL_SOCKET || c.getInt32(12, true) !== SCM_CREDENTIALS) return -1;
    return c.getInt32(16, true);
  }

  private push(m: NotifyMessage): void {
    this.messages.push(m);
    const index = this.messages.length - 1;
    for (const w of [...this.waiters]) {
      if (index >= w.from && w.match(m)) {
        this.waiters.delete(w);
        w.resolve(m);
      }
    }
  }
}

function parseFields(raw: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of raw.split("\n")) {
    const i = line.indexOf("=");
    if (i > 0) fields[line.slice(0, i)] = line.slice(i + 1);
  }
  return fields;
}

function errno(): number {
  return read.i32(libc.__errno_location()!, 0);
}
