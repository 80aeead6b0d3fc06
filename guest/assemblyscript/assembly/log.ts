// Logging with levels and fields (wisp:logging/logging@1).

import { logging_log } from "./abi";
import { WispError, check } from "./error";
import { ByteBuffer } from "./response";

/** The levels of wasi:logging. */
export enum Level {
  Trace = 0,
  Debug = 1,
  Info = 2,
  Warn = 3,
  Error = 4,
  Critical = 5,
}

/**
 * Writes one entry to the app's log and the node's structured log. fields
 * alternate keys and values (["code", "abc", "user", "ana"]); a key without
 * a value gets "". context names the component ("" for none). NUL
 * characters, which the ABI uses as separators, are dropped. Returns null
 * on success, or the host's reason (LIMIT after 1,000 entries in a request).
 */
export function logEntry(level: Level, context: string, message: string, fields: string[] = []): WispError | null {
  const c = String.UTF8.encode(noNul(context));
  const m = String.UTF8.encode(noNul(message));
  const f = new ByteBuffer(64);
  const count = fields.length + (fields.length & 1);
  for (let i = 0; i < count; i++) {
    if (i < fields.length) f.appendString(noNul(fields[i]));
    f.appendRaw(memory.data<u8>([0]), 1);
  }
  return check(logging_log(
    <u32>level,
    changetype<usize>(c), <usize>c.byteLength,
    changetype<usize>(m), <usize>m.byteLength,
    f.dataStart, <usize>f.length,
  ));
}

function noNul(s: string): string {
  return s.indexOf("\0") < 0 ? s : s.replaceAll("\0", "");
}

/**
 * A logger for one component (context). The functions of the log
 * namespace use the empty context.
 */
export class Logger {
  constructor(public context: string = "") {}

  trace(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Trace, this.context, message, fields); }
  debug(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Debug, this.context, message, fields); }
  info(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Info, this.context, message, fields); }
  warn(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Warn, this.context, message, fields); }
  error(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Error, this.context, message, fields); }
  critical(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Critical, this.context, message, fields); }
}

/** Log entries without a context: log.info("link saved", ["code", code]). */
export namespace log {
  export function trace(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Trace, "", message, fields); }
  export function debug(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Debug, "", message, fields); }
  export function info(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Info, "", message, fields); }
  export function warn(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Warn, "", message, fields); }
  export function error(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Error, "", message, fields); }
  export function critical(message: string, fields: string[] = []): WispError | null { return logEntry(Level.Critical, "", message, fields); }
}
