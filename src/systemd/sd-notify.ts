/**
 * sd_notify(3) in a few libc calls through bun:ffi: one datagram to
 * $NOTIFY_SOCKET per message (a path, or "@name" in the abstract
 * namespace), sent from this process.
 *
 * Why not `systemd-notify`: it sends from its own pid, so systemd would
 * only listen with NotifyAccess=all (any process of the service, a job's
 * child included, could then declare it ready or feed the watchdog), and
 * each message would cost a process spawn (5-7 ms) where this costs about
 * 15 µs; `--ready` also waits on a barrier and blocks 5 s against anything
 * but systemd. Bun has no Unix datagram API, hence libc.
 *
 * This module throws (SdNotifyError); notifier.ts decides what to do.
 */

import { dlopen, FFIType, ptr, read } from "bun:ffi";

const AF_UNIX = 1;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
const CLOCK_MONOTONIC = 1;
/** sizeof(struct sockaddr_un): sa_family_t, then sun_path[108]. */
const SOCKADDR_UN_SIZE = 110;

export class SdNotifyError extends Error {
  constructor(
    message: string,
    readonly errno?: number,
  ) {
    super(message);
    this.name = "SdNotifyError";
  }
}

type Libc = ReturnType<typeof openLibc>;
let libc: Libc | undefined;

function openLibc() {
  return dlopen("libc.so.6", {
    socket: { args: [FFIType.i32, FFIType.i32, FFIType.i32], returns: FFIType.i32 },
    sendto: { args: [FFIType.i32, FFIType.ptr, FFIType.u64, FFIType.i32, FFIType.ptr, FFIType.u32], returns: FFIType.i64 },
    close: { args: [FFIType.i32], returns: FFIType.i32 },
    clock_gettime: { args: [FFIType.i32, FFIType.ptr], returns: FFIType.i32 },
    __errno_location: { args: [], returns: FFIType.ptr },
  }).symbols;
}

/** libc is opened on first use, so a process without NOTIFY_SOCKET never loads it. */
function lib(): Libc {
  try {
    libc ??= openLibc();
  } catch (err) {
    throw new SdNotifyError(`cannot load libc.so.6 for sd_notify: ${(err as Error).message}`);
  }
  return libc;
}

function errno(l: Libc): number {
  return read.i32(l.__errno_location()!, 0);
}

/** One notification target. Each send opens and closes its own socket, as libsystemd does. */
export class NotifySocket {
  private readonly addr: Uint8Array;
  private readonly addrLen: number;

  /** Throws SdNotifyError for an address this cannot use (only "/path" and "@abstract" are Unix sockets). */
  constructor(readonly target: string) {
    const abstract = target.startsWith("@");
    if (!abstract && !target.startsWith("/")) throw new SdNotifyError(`NOTIFY_SOCKET=${target} is not a Unix socket path or @abstract name`);
    const name = new TextEncoder().encode(abstract ? target.slice(1) : target);
    if (name.length > 107) throw new SdNotifyError(`NOTIFY_SOCKET=${target} is longer than a Unix socket address allows`);
    this.addr = new Uint8Array(SOCKADDR_UN_SIZE);
    new DataView(this.addr.buffer).setUint16(0, AF_UNIX, true);
    // An abstract name starts with a NUL byte and is not NUL-terminated; a path is.
    this.addr.set(name, abstract ? 3 : 2);
    this.addrLen = abstract ? 3 + name.length : 2 + name.length + 1;
  }

  /** "READY=1\nSTATUS=…". Never blocks: a receiver whose queue is full loses the datagram (EAGAIN). */
  send(message: string): void {
    const l = lib();
    const body = new TextEncoder().encode(message);
    const fd = l.socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) throw new SdNotifyError(`socket() failed, errno ${errno(l)}`, errno(l));
    try {
      // MSG_DONTWAIT: this runs on the event loop, which must never wait on systemd.
      const sent = Number(l.sendto(fd, ptr(body), body.length, MSG_DONTWAIT | MSG_NOSIGNAL, ptr(this.addr), this.addrLen));
      if (sent < 0) {
        const e = errno(l);
        throw new SdNotifyError(`sendto(${this.target}) failed, errno ${e}`, e);
      }
    } finally {
      l.close(fd);
    }
  }
}

/** CLOCK_MONOTONIC in µs, the clock systemd wants in MONOTONIC_USEC= (RELOADING=1). */
export function monotonicUsec(): bigint {
  const l = lib();
  const ts = new BigInt64Array(2);
  if (l.clock_gettime(CLOCK_MONOTONIC, ptr(ts)) !== 0) throw new SdNotifyError(`clock_gettime failed, errno ${errno(l)}`, errno(l));
  return ts[0] * 1_000_000n + ts[1] / 1_000n;
}
