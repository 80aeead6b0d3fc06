// Outbound HTTP (wisp:http/outgoing-handler@1).

import { http_send, http_status, http_header, http_headers, http_read, http_close } from "./abi";
import { Status, WispError, Result, ok, fail, failWith } from "./error";
import { grow } from "./kv";
import { ByteBuffer, isHeaderName, isHeaderValue } from "./response";

/**
 * The answer to an outbound request: status and headers are there when
 * send returns; read the body with read, bytes or text. close releases it
 * (the node closes what is left open when the request ends).
 */
export class OutboundResponse {
  private closed: bool = false;

  constructor(
    /** The host's handle for the response. */
    public readonly handle: u32,
    /** The HTTP status code. */
    public readonly status: i32,
  ) {}

  /** The first value of header name (case-insensitive), or null. */
  header(name: string): Result<string | null> {
    const n = String.UTF8.encode(name);
    const lenPtr = memory.data(4);
    let cap: usize = 256;
    for (let i = 0; i < 8; i++) {
      const buf = new ArrayBuffer(<i32>cap);
      const st = http_header(this.handle, changetype<usize>(n), <usize>n.byteLength, changetype<usize>(buf), cap, lenPtr);
      if (st == Status.NOT_FOUND) return ok<string | null>(null);
      if (st == Status.BUFFER_TOO_SMALL) {
        cap = grow(cap, load<u32>(lenPtr));
        continue;
      }
      if (st != Status.OK) return fail<string | null>(st);
      return ok<string | null>(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>load<u32>(lenPtr)));
    }
    return fail<string | null>(Status.BUFFER_TOO_SMALL);
  }

  /** Every header as "Name: value\n" lines. */
  headers(): Result<string> {
    const lenPtr = memory.data(4);
    let cap: usize = 2048;
    for (let i = 0; i < 8; i++) {
      const buf = new ArrayBuffer(<i32>cap);
      const st = http_headers(this.handle, changetype<usize>(buf), cap, lenPtr);
      if (st == Status.BUFFER_TOO_SMALL) {
        cap = grow(cap, load<u32>(lenPtr));
        continue;
      }
      if (st != Status.OK) return fail<string>(st);
      return ok<string>(String.UTF8.decodeUnsafe(changetype<usize>(buf), <usize>load<u32>(lenPtr)));
    }
    return fail<string>(Status.BUFFER_TOO_SMALL);
  }

  /** Reads up to into.length bytes of the body into into; 0 at the end. */
  read(into: Uint8Array): Result<i32> {
    const nPtr = memory.data(4);
    const st = http_read(this.handle, into.dataStart, <usize>into.length, nPtr);
    if (st != Status.OK) return fail<i32>(st);
    return ok<i32>(<i32>load<u32>(nPtr));
  }

  /** The rest of the body (LIMIT past limits.outbound_bytes). */
  bytes(): Result<Uint8Array> {
    const all = new ByteBuffer(4096);
    const chunk = new Uint8Array(16384);
    while (true) {
      const r = this.read(chunk);
      const err = r.error;
      if (err !== null) return failWith<Uint8Array>(err);
      if (r.value == 0) break;
      all.appendRaw(chunk.dataStart, r.value);
    }
    return ok<Uint8Array>(all.toBytes());
  }

  /** The rest of the body as UTF-8 text. */
  text(): Result<string> {
    const r = this.bytes();
    const err = r.error;
    if (err !== null) return failWith<string>(err);
    const b = r.value;
    return ok<string>(String.UTF8.decodeUnsafe(b.dataStart, <usize>b.length));
  }

  /** Releases the response; calling it again does nothing. */
  close(): void {
    if (!this.closed) {
      this.closed = true;
      http_close(this.handle);
    }
  }
}

/** Outbound HTTP requests, allowed by wisp.toml's allowed_outbound_hosts. */
export namespace outbound {
  /**
   * Sends a request and waits for the response's status and headers.
   * headers alternate names and values (["Accept", "text/html"]); body may
   * be null. Fails with the host's reason: DENIED (the URL or the address
   * it resolves to is not allowed), LIMIT, TIMEOUT, UNAVAILABLE (the
   * connection failed), INVALID (a bad URL or header). A header name or
   * value that could not be sent fails with INVALID before any call.
   */
  export function send(method: string, url: string, headers: string[] = [], body: Uint8Array | null = null): Result<OutboundResponse> {
    let lines = "";
    for (let i = 0; i + 1 < headers.length; i += 2) {
      const name = headers[i];
      const value = headers[i + 1];
      if (!isHeaderName(name) || !isHeaderValue(value)) {
        return failWith<OutboundResponse>(new WispError(Status.INVALID, "invalid: outbound request header \"" + name + "\" has a bad name or value"));
      }
      lines += name + ": " + value + "\n";
    }
    if (headers.length & 1) {
      return failWith<OutboundResponse>(new WispError(Status.INVALID, "invalid: outbound request headers must alternate names and values; \"" + headers[headers.length - 1] + "\" has no value"));
    }
    const m = String.UTF8.encode(method);
    const u = String.UTF8.encode(url);
    const h = String.UTF8.encode(lines);
    let bodyPtr: usize = 0;
    let bodyLen: usize = 0;
    if (body !== null) {
      bodyPtr = body.dataStart;
      bodyLen = <usize>body.length;
    }
    const out = memory.data(4);
    const st = http_send(
      changetype<usize>(m), <usize>m.byteLength,
      changetype<usize>(u), <usize>u.byteLength,
      changetype<usize>(h), <usize>h.byteLength,
      bodyPtr, bodyLen,
      out,
    );
    if (st != Status.OK) return fail<OutboundResponse>(st);
    const handle = load<u32>(out);
    const statusPtr = memory.data(4);
    const ss = http_status(handle, statusPtr);
    if (ss != Status.OK) {
      const err = fail<OutboundResponse>(ss);
      http_close(handle);
      return err;
    }
    return ok<OutboundResponse>(new OutboundResponse(handle, <i32>load<u32>(statusPtr)));
  }

  /** A GET of url without a body; see send. */
  export function get(url: string, headers: string[] = []): Result<OutboundResponse> {
    return send("GET", url, headers, null);
  }
}
