// The response: a CGI header block and a body on stdout, buffered until the
// handler returns (serve flushes it) or calls flush.

import { writeAll, writeBytes, writeString, STDOUT } from "./wasi";

/** A growable byte buffer. */
export class ByteBuffer {
  private buf: Uint8Array;
  private len: i32 = 0;

  constructor(capacity: i32 = 1024) {
    this.buf = new Uint8Array(capacity > 0 ? capacity : 16);
  }

  /** The number of bytes held. */
  get length(): i32 {
    return this.len;
  }

  /** Appends len bytes at ptr. */
  appendRaw(ptr: usize, len: i32): void {
    if (len <= 0) return;
    const need = this.len + len;
    if (need > this.buf.length) {
      let cap = this.buf.length << 1;
      while (cap < need) cap <<= 1;
      const next = new Uint8Array(cap);
      memory.copy(next.dataStart, this.buf.dataStart, <usize>this.len);
      this.buf = next;
    }
    memory.copy(this.buf.dataStart + <usize>this.len, ptr, <usize>len);
    this.len = need;
  }

  /** Appends bytes. */
  append(b: Uint8Array): void {
    this.appendRaw(b.dataStart, b.length);
  }

  /** Appends s as UTF-8. */
  appendString(s: string): void {
    const b = String.UTF8.encode(s);
    this.appendRaw(changetype<usize>(b), b.byteLength);
  }

  /** A copy of the bytes held. */
  toBytes(): Uint8Array {
    return this.buf.slice(0, this.len);
  }

  /** Where the bytes start in linear memory (valid until the next append). */
  get dataStart(): usize {
    return this.buf.dataStart;
  }

  /** Forgets the bytes held, keeping the capacity. */
  reset(): void {
    this.len = 0;
  }
}

/** True when name is an HTTP token (RFC 9110), so it can be a header name. */
export function isHeaderName(name: string): bool {
  if (name.length == 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) ||
      c == 0x21 || c == 0x23 || c == 0x24 || c == 0x25 || c == 0x26 || c == 0x27 || c == 0x2a ||
      c == 0x2b || c == 0x2d || c == 0x2e || c == 0x5e || c == 0x5f || c == 0x60 || c == 0x7c || c == 0x7e;
    if (!ok) return false;
  }
  return true;
}

/**
 * True when value can be a header value: no control character but tab (a
 * CR or LF would end the header line and let the text that follows inject
 * headers or a body).
 */
export function isHeaderValue(value: string): bool {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c != 0x09) || c == 0x7f) return false;
  }
  return true;
}

/**
 * The response to one request. Status, headers and body are buffered and
 * written to stdout as a CGI response when the handler returns (serve does
 * it, so a handler cannot forget), or earlier by flush, after which the
 * status and headers are fixed and each write goes out at once.
 *
 * Misuse aborts (a trap, logged with the reason): an invalid header name or
 * value, a status outside 200-999, or changing either after the header was
 * sent.
 */
export class Response {
  private code: i32 = 200;
  private names: string[] = new Array<string>();
  private values: string[] = new Array<string>();
  private body: ByteBuffer = new ByteBuffer(1024);
  private sent: bool = false;
  private errno: u16 = 0;

  /** The status code; 200 unless set. */
  get status(): i32 {
    return this.code;
  }

  /** Sets the status code (200 to 999: CGI cannot end a response with 1xx). */
  set status(code: i32) {
    this.mustNotBeSent("set the status");
    if (code < 200 || code > 999) abort("response status " + code.toString() + " is not between 200 and 999");
    this.code = code;
  }

  /** True once the header is on its way (flush was called). */
  get headersSent(): bool {
    return this.sent;
  }

  /** The WASI errno of the first write to stdout that failed, or 0. */
  get writeError(): u16 {
    return this.errno;
  }

  /** Sets header name to value, replacing any value it had. */
  setHeader(name: string, value: string): void {
    this.deleteHeader(name);
    this.addHeader(name, value);
  }

  /** Adds a value for header name (Set-Cookie may be given several times). */
  addHeader(name: string, value: string): void {
    this.mustNotBeSent("set header " + name);
    if (!isHeaderName(name)) abort("response header name \"" + name + "\" is not an HTTP token");
    if (!isHeaderValue(value)) abort("response header " + name + " has a control character in its value");
    this.names.push(name);
    this.values.push(value);
  }

  /** The first value of header name (case-insensitive), or null. */
  getHeader(name: string): string | null {
    const lower = name.toLowerCase();
    for (let i = 0; i < this.names.length; i++) {
      if (this.names[i].toLowerCase() == lower) return this.values[i];
    }
    return null;
  }

  /** Removes every value of header name (case-insensitive). */
  deleteHeader(name: string): void {
    this.mustNotBeSent("delete header " + name);
    const lower = name.toLowerCase();
    for (let i = this.names.length - 1; i >= 0; i--) {
      if (this.names[i].toLowerCase() == lower) {
        this.names.splice(i, 1);
        this.values.splice(i, 1);
      }
    }
  }

  /** Appends s (as UTF-8) to the body. */
  write(s: string): void {
    if (this.sent) {
      this.check(writeString(STDOUT, s));
    } else {
      this.body.appendString(s);
    }
  }

  /** Appends bytes to the body. */
  writeBytes(b: Uint8Array): void {
    if (this.sent) {
      this.check(writeBytes(STDOUT, b));
    } else {
      this.body.append(b);
    }
  }

  /** Sets the status and Content-Type, and writes body: a whole answer. */
  send(status: i32, contentType: string, body: string): void {
    this.status = status;
    this.setHeader("Content-Type", contentType);
    this.write(body);
  }

  /** A JSON answer: body must already be JSON text (see JSONObject). */
  json(status: i32, body: string): void {
    this.send(status, "application/json", body);
  }

  /** A plain text answer. */
  text(status: i32, body: string): void {
    this.send(status, "text/plain; charset=utf-8", body);
  }

  /** A redirect to location (302 Found unless status says otherwise). */
  redirect(location: string, status: i32 = 302): void {
    this.status = status;
    this.setHeader("Location", location);
  }

  /**
   * Sends the header and the body buffered so far; later writes go out at
   * once. A handler streaming a long answer calls it, then writes.
   */
  flush(): void {
    if (!this.sent) {
      this.sent = true;
      this.check(writeString(STDOUT, this.headerText()));
    }
    if (this.body.length > 0) {
      this.check(writeAll(STDOUT, this.body.dataStart, <usize>this.body.length));
      this.body.reset();
    }
  }

  // headerText is the CGI header block: Status first, then the headers, a
  // default Content-Type when none was set (except for 204 and 304, which
  // have no body, and a redirect without a body so far), then the blank
  // line.
  private headerText(): string {
    let h = "Status: " + this.code.toString() + "\n";
    let hasType = false;
    let hasLocation = false;
    for (let i = 0; i < this.names.length; i++) {
      const lower = this.names[i].toLowerCase();
      if (lower == "content-type") hasType = true;
      if (lower == "location") hasLocation = true;
      h += this.names[i] + ": " + this.values[i] + "\n";
    }
    const bodiless = this.code == 204 || this.code == 304 || (hasLocation && this.body.length == 0);
    if (!hasType && !bodiless) {
      h += "Content-Type: text/plain; charset=utf-8\n";
    }
    return h + "\n";
  }

  private mustNotBeSent(what: string): void {
    if (this.sent) abort("cannot " + what + ": the response header was already sent by flush");
  }

  private check(errno: u16): void {
    if (errno != 0 && this.errno == 0) this.errno = errno;
  }
}
