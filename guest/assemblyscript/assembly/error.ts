// Errors: every Wisp host call returns a status; a failure becomes a
// WispError carrying the host's explanation from wisp:host/error@1.last.

import { error_last } from "./abi";

/** The status codes of docs/guest-abi.md. Any other value is reserved. */
export namespace Status {
  export const OK: i32 = 0;
  export const NOT_FOUND: i32 = 1;
  export const BUFFER_TOO_SMALL: i32 = 2;
  export const DENIED: i32 = 3;
  export const INVALID: i32 = 4;
  export const LIMIT: i32 = 5;
  export const UNAVAILABLE: i32 = 6;
  export const TIMEOUT: i32 = 7;
  export const FAULT: i32 = 8;
  export const CONFLICT: i32 = 9;

  /** The name of a status code ("DENIED"), or "STATUS_<n>" for a reserved one. */
  export function name(code: i32): string {
    switch (code) {
      case OK: return "OK";
      case NOT_FOUND: return "NOT_FOUND";
      case BUFFER_TOO_SMALL: return "BUFFER_TOO_SMALL";
      case DENIED: return "DENIED";
      case INVALID: return "INVALID";
      case LIMIT: return "LIMIT";
      case UNAVAILABLE: return "UNAVAILABLE";
      case TIMEOUT: return "TIMEOUT";
      case FAULT: return "FAULT";
      case CONFLICT: return "CONFLICT";
    }
    return "STATUS_" + code.toString();
  }
}

/**
 * A failed host call: the status code and the host's message saying what
 * was wrong and how to fix it (for example "denied: http://10.0.0.1/ is not
 * in allowed_outbound_hosts").
 */
export class WispError {
  constructor(
    /** One of Status (never OK). */
    public code: i32,
    /** The host's message; the status name when the host gave none. */
    public message: string,
  ) {}

  toString(): string {
    return this.message;
  }
}

/**
 * Makes the error for a failed call with status code: reads the message the
 * host kept for it with wisp:host/error@1.last. Call it right after the
 * failed call, before any other host call replaces the message.
 */
export function lastError(code: i32): WispError {
  let cap: usize = 256;
  const lenPtr = memory.data(4);
  for (let tries = 0; tries < 4; tries++) {
    const buf = new ArrayBuffer(<i32>cap);
    const st = error_last(changetype<usize>(buf), cap, lenPtr);
    if (st == Status.BUFFER_TOO_SMALL) {
      const need = <usize>load<u32>(lenPtr);
      cap = need > cap ? need : cap << 1;
      continue;
    }
    if (st != Status.OK) break;
    const len = <usize>load<u32>(lenPtr);
    if (len == 0) break;
    return new WispError(code, String.UTF8.decodeUnsafe(changetype<usize>(buf), len));
  }
  return new WispError(code, Status.name(code));
}

/**
 * The outcome of a call that produces a value: either value (error null)
 * or error. Check ok (or error) before using value, or call unwrap.
 */
export class Result<T> {
  constructor(
    /** The value; meaningless (zero or null) when error is set. */
    public value: T,
    /** Why the call failed, or null. */
    public error: WispError | null,
  ) {}

  /** True when the call succeeded. */
  get ok(): bool {
    return this.error === null;
  }

  /** The value, or an abort (a trap, logged with the message) on error. */
  unwrap(): T {
    const err = this.error;
    if (err !== null) abort(err.message);
    return this.value;
  }
}

/** A successful Result. */
export function ok<T>(value: T): Result<T> {
  return new Result<T>(value, null);
}

/** A failed Result for status code, with the host's message. */
export function fail<T>(code: i32): Result<T> {
  return failWith<T>(lastError(code));
}

/** A failed Result carrying err. */
export function failWith<T>(err: WispError): Result<T> {
  if (isReference<T>()) {
    return new Result<T>(changetype<T>(0), err);
  } else {
    return new Result<T>(<T>0, err);
  }
}

/** Null for OK, else the WispError for status code. */
export function check(code: i32): WispError | null {
  return code == Status.OK ? null : lastError(code);
}
