// WASI preview 1: the few functions the SDK needs to read a request (the
// CGI environment and stdin) and write a response (stdout). AssemblyScript
// has no libc, so they are declared here and called directly. Every
// function returns a WASI errno (0 is success).

@external("wasi_snapshot_preview1", "environ_sizes_get")
declare function environ_sizes_get(count: usize, size: usize): u16;

@external("wasi_snapshot_preview1", "environ_get")
declare function environ_get(environ: usize, buf: usize): u16;

@external("wasi_snapshot_preview1", "fd_read")
declare function fd_read(fd: u32, iovs: usize, iovsLen: usize, nread: usize): u16;

@external("wasi_snapshot_preview1", "fd_write")
declare function fd_write(fd: u32, iovs: usize, iovsLen: usize, nwritten: usize): u16;

@external("wasi_snapshot_preview1", "clock_time_get")
declare function clock_time_get(id: u32, precision: u64, time: usize): u16;

/** File descriptor of the request body. */
export const STDIN: u32 = 0;
/** File descriptor of the CGI response. */
export const STDOUT: u32 = 1;
/** File descriptor of the app's log (one log entry per line). */
export const STDERR: u32 = 2;

/**
 * Reads the whole environment with environ_get, as NAME=VALUE strings. It
 * is read anew on every call, which is what a reactor needs: the node
 * answers environ_get with the current request's variables. Aborts if WASI
 * fails (it does not on a Wisp node).
 */
export function readEnviron(): Map<string, string> {
  const sizes = memory.data(8);
  if (environ_sizes_get(sizes, sizes + 4) != 0) abort("environ_sizes_get failed");
  const count = <i32>load<u32>(sizes);
  const size = <i32>load<u32>(sizes + 4);
  const env = new Map<string, string>();
  if (count == 0) return env;
  const ptrs = new ArrayBuffer(count << 2);
  const buf = new ArrayBuffer(size);
  const base = changetype<usize>(buf);
  if (environ_get(changetype<usize>(ptrs), base) != 0) abort("environ_get failed");
  for (let i = 0; i < count; i++) {
    const start = <usize>load<u32>(changetype<usize>(ptrs) + (<usize>i << 2));
    let end = start;
    const limit = base + <usize>size;
    while (end < limit && load<u8>(end) != 0) end++;
    const entry = String.UTF8.decodeUnsafe(start, end - start);
    const eq = entry.indexOf("=");
    if (eq < 0) {
      env.set(entry, "");
    } else if (!env.has(entry.substring(0, eq))) {
      // The first definition wins, as getenv finds it.
      env.set(entry.substring(0, eq), entry.substring(eq + 1));
    }
  }
  return env;
}

/**
 * Reads fd until its end (a read of 0 bytes) or up to max bytes, whichever
 * comes first. Returns the bytes read and the WASI errno that stopped it (0
 * at the end of input or at max).
 */
export function readAll(fd: u32, max: i32 = i32.MAX_VALUE): ReadResult {
  let buf = new Uint8Array(max < 4096 ? max : 4096);
  let len = 0;
  const iov = memory.data(8);
  const nread = memory.data(4);
  while (len < max) {
    if (len == buf.length) {
      let grown = buf.length << 1;
      if (grown > max || grown < 0) grown = max;
      const next = new Uint8Array(grown);
      next.set(buf);
      buf = next;
    }
    store<u32>(iov, <u32>(buf.dataStart + <usize>len));
    store<u32>(iov, <u32>(buf.length - len), 4);
    const errno = fd_read(fd, iov, 1, nread);
    if (errno != 0) return new ReadResult(buf.subarray(0, len).slice(), errno);
    const n = <i32>load<u32>(nread);
    if (n == 0) break;
    len += n;
  }
  return new ReadResult(len == buf.length ? buf : buf.slice(0, len), 0);
}

/** What readAll read, and the WASI errno that stopped it (0: none). */
export class ReadResult {
  constructor(public data: Uint8Array, public errno: u16) {}
}

/**
 * Writes len bytes at ptr to fd, retrying short writes. Returns the WASI
 * errno of the write that failed, or 0.
 */
export function writeAll(fd: u32, ptr: usize, len: usize): u16 {
  const iov = memory.data(8);
  const written = memory.data(4);
  while (len > 0) {
    store<u32>(iov, <u32>ptr);
    store<u32>(iov, <u32>len, 4);
    const errno = fd_write(fd, iov, 1, written);
    if (errno != 0) return errno;
    const n = <usize>load<u32>(written);
    if (n == 0) return 29; // EIO: the host accepted nothing
    ptr += n;
    len -= n;
  }
  return 0;
}

/** Writes a string to fd as UTF-8; see writeAll. */
export function writeString(fd: u32, s: string): u16 {
  const buf = String.UTF8.encode(s);
  return writeAll(fd, changetype<usize>(buf), <usize>buf.byteLength);
}

/** Writes bytes to fd; see writeAll. */
export function writeBytes(fd: u32, b: Uint8Array): u16 {
  return writeAll(fd, b.dataStart, <usize>b.length);
}

/**
 * The realtime clock in nanoseconds since the Unix epoch (WASI
 * clock_time_get). Aborts if WASI fails.
 */
export function nowNanos(): i64 {
  const t = memory.data(8);
  if (clock_time_get(0, 1000, t) != 0) abort("clock_time_get failed");
  return load<i64>(t);
}
