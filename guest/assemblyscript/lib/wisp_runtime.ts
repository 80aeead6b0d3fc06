// The runtime hooks a Wisp module needs instead of the JavaScript host's.
//
// AssemblyScript's standard library imports a few functions from the "env"
// module of a JavaScript host: abort (a failed assertion, an index out of
// range), trace, seed (for Math.random), Date.now and console. A Wisp node
// provides only WASI preview 1 and the Wisp modules, so the SDK's
// asconfig.json replaces each with the function here ("use": ["abort=
// wisp_abort", ...]) and lists this directory as a library ("lib"), which
// makes every export of this file a global. Nothing here is called directly.
//
// Output goes to stderr, which the node turns into the app's log lines:
// stdout is the CGI response and must carry nothing else.

@external("wasi_snapshot_preview1", "fd_write")
declare function wasi_fd_write(fd: u32, iovs: usize, iovsLen: usize, written: usize): u16;

@external("wasi_snapshot_preview1", "random_get")
declare function wasi_random_get(buf: usize, len: usize): u16;

@external("wasi_snapshot_preview1", "clock_time_get")
declare function wasi_clock_time_get(id: u32, precision: u64, time: usize): u16;

// writeStderr writes one line to fd 2, retrying short writes; errors are
// ignored (there is nowhere left to report them).
function writeStderr(line: string): void {
  const buf = String.UTF8.encode(line + "\n");
  const iov = memory.data(8);
  const written = memory.data(4);
  let ptr = changetype<usize>(buf);
  let left = <usize>buf.byteLength;
  while (left > 0) {
    store<u32>(iov, <u32>ptr);
    store<u32>(iov, <u32>left, 4);
    if (wasi_fd_write(2, iov, 1, written) != 0) return;
    const n = <usize>load<u32>(written);
    if (n == 0) return;
    ptr += n;
    left -= n;
  }
}

/** Replaces abort: writes the message and where it happened to stderr, then traps. */
export function wisp_abort(
  message: string | null = null,
  fileName: string | null = null,
  lineNumber: u32 = 0,
  columnNumber: u32 = 0,
): void {
  let line = "abort: " + (message !== null ? message : "(no message)");
  if (fileName !== null) {
    line += " at " + fileName + ":" + lineNumber.toString() + ":" + columnNumber.toString();
  }
  writeStderr(line);
  unreachable();
}

/** Replaces trace: writes the message and its numbers to stderr. */
export function wisp_trace(
  message: string,
  n: i32 = 0,
  a0: f64 = 0,
  a1: f64 = 0,
  a2: f64 = 0,
  a3: f64 = 0,
  a4: f64 = 0,
): void {
  let line = "trace: " + message;
  if (n > 0) line += " " + a0.toString();
  if (n > 1) line += ", " + a1.toString();
  if (n > 2) line += ", " + a2.toString();
  if (n > 3) line += ", " + a3.toString();
  if (n > 4) line += ", " + a4.toString();
  writeStderr(line);
}

/**
 * Replaces seed: Math.random's seed from WASI random_get. It is drawn on the
 * first Math.random call, so a reactor that calls Math.random only while
 * handling requests gets a fresh seed in every request.
 */
export function wisp_seed(): f64 {
  const buf = memory.data(8);
  if (wasi_random_get(buf, 8) != 0) {
    wisp_abort("random_get failed: no seed for Math.random");
  }
  return reinterpret<f64>(load<u64>(buf));
}

/** Replaces Date: Date.now() reads WASI's realtime clock. */
export class wisp_Date extends Date {
  static now(): i64 {
    const buf = memory.data(8);
    if (wasi_clock_time_get(0, 1000000, buf) != 0) {
      wisp_abort("clock_time_get failed: no time for Date.now");
    }
    return <i64>(load<u64>(buf) / 1000000);
  }
}

/**
 * Replaces console: every function writes one line to stderr, which the
 * node adds to the app's log (console.log never writes to stdout, which is
 * the response). For levels and fields, use the SDK's log functions.
 */
export namespace wisp_console {
  export function assert<T>(condition: T, message: string = ""): void {
    if (!condition) writeStderr("assertion failed: " + message);
  }
  export function log(message: string = ""): void {
    writeStderr(message);
  }
  export function debug(message: string = ""): void {
    writeStderr("debug: " + message);
  }
  export function info(message: string = ""): void {
    writeStderr("info: " + message);
  }
  export function warn(message: string = ""): void {
    writeStderr("warn: " + message);
  }
  export function error(message: string = ""): void {
    writeStderr("error: " + message);
  }
}
