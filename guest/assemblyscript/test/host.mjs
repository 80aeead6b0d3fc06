// A fake Wisp host for the SDK's tests: the functions of docs/guest-abi.md
// over in-memory state, run under Node's WASI (preview 1). It follows the
// ABI's rules (status codes, BUFFER_TOO_SMALL with the size needed, the
// last error message, NUL-separated keys and fields) so the SDK's handling
// of each is exercised; it is not the node's implementation
// (internal/hostabi), which the end-to-end test in tests/sdk drives.

import { WASI } from "node:wasi";
import { mkdtempSync, openSync, closeSync, readFileSync, writeFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const OK = 0, NOT_FOUND = 1, BUFFER_TOO_SMALL = 2, DENIED = 3, INVALID = 4, LIMIT = 5, FAULT = 8;

const enc = new TextEncoder();
const dec = new TextDecoder();

/**
 * State shared by the invocations of one test: a "default" store, variables
 * (null: declared without a value), upstream answers by URL, and what the
 * host saw (logs, sent requests, closed handles).
 */
export class FakeHost {
  constructor({ vars = {}, upstream = {}, pageSize = 1000 } = {}) {
    this.kv = new Map(); // key -> {value: Uint8Array, ttl: number}
    this.vars = vars;
    this.upstream = upstream;
    this.pageSize = pageSize;
    this.logs = [];
    this.sent = [];
    this.closed = [];
  }

  /**
   * Runs module (a compiled WebAssembly.Module: a reactor, or with
   * {command: true} a command) once with the CGI environment env and body
   * as stdin. Returns {stdout, stderr, trapped}.
   */
  async run(module, env, body = "", { command = false } = {}) {
    const dir = mkdtempSync(join(tmpdir(), "wisp-as-test-"));
    try {
      writeFileSync(join(dir, "in"), body);
      const stdin = openSync(join(dir, "in"), "r");
      const stdout = openSync(join(dir, "out"), "w");
      const stderr = openSync(join(dir, "err"), "w");
      const wasi = new WASI({ version: "preview1", env, stdin, stdout, stderr, returnOnExit: true });
      const call = new Call(this);
      const instance = await WebAssembly.instantiate(module, {
        wasi_snapshot_preview1: wasi.wasiImport,
        ...call.imports(),
      });
      call.memory = instance.exports.memory;
      let trapped = null;
      try {
        if (command) {
          wasi.start(instance);
        } else {
          wasi.initialize(instance);
          instance.exports.wisp_handle();
        }
      } catch (e) {
        trapped = e;
      }
      for (const fd of [stdin, stdout, stderr]) closeSync(fd);
      return {
        stdout: readFileSync(join(dir, "out"), "utf8"),
        stderr: readFileSync(join(dir, "err"), "utf8"),
        trapped,
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}

// Call is one invocation's host state: handles and the last error.
class Call {
  constructor(host) {
    this.host = host;
    this.memory = null;
    this.lastErr = "";
    this.responses = new Map();
    this.nextHandle = 1;
  }

  bytes(ptr, len) {
    const mem = new Uint8Array(this.memory.buffer);
    if (ptr + len > mem.length) throw new RangeError("fault");
    return mem.slice(ptr, ptr + len);
  }
  str(ptr, len) { return dec.decode(this.bytes(ptr, len)); }
  u32(ptr, v) { new DataView(this.memory.buffer).setUint32(ptr, v, true); }
  i64(ptr, v) { new DataView(this.memory.buffer).setBigInt64(ptr, v, true); }
  fail(status, msg) { this.lastErr = msg; return status; }

  // out writes data into (buf, cap) and its size at lenPtr, or answers
  // BUFFER_TOO_SMALL with the size needed.
  out(data, buf, cap, lenPtr) {
    this.u32(lenPtr, data.length);
    if (data.length > cap) return this.fail(BUFFER_TOO_SMALL, `buffer too small: need ${data.length} bytes`);
    new Uint8Array(this.memory.buffer).set(data, buf);
    return OK;
  }

  // fn wraps a host function: a pointer outside memory is FAULT.
  fn(f) {
    return (...args) => {
      try {
        return f(...args);
      } catch (e) {
        if (e instanceof RangeError) return this.fail(FAULT, "fault: pointer outside memory");
        throw e;
      }
    };
  }

  imports() {
    const h = this.host;
    const key = (p, l) => {
      const k = this.str(p, l);
      if (k.length === 0) throw new KeyError("invalid: a key must not be empty");
      return k;
    };
    const kvfn = (f) => this.fn((...a) => {
      try {
        return f(...a);
      } catch (e) {
        if (e instanceof KeyError) return this.fail(INVALID, e.message);
        throw e;
      }
    });
    return {
      "wisp:host/error@1": {
        last: this.fn((buf, cap, lenPtr) => {
          const data = enc.encode(this.lastErr);
          this.u32(lenPtr, data.length);
          if (data.length > cap) return BUFFER_TOO_SMALL;
          new Uint8Array(this.memory.buffer).set(data, buf);
          return OK;
        }),
      },
      "wisp:keyvalue/store@1": {
        open: this.fn((p, l, handlePtr) => {
          const name = this.str(p, l);
          if (name !== "default") return this.fail(DENIED, `denied: store "${name}" is not declared: add it to key_value_stores in wisp.toml`);
          this.u32(handlePtr, 7);
          return OK;
        }),
        get: kvfn((handle, kp, kl, buf, cap, lenPtr) => {
          const e = h.kv.get(key(kp, kl));
          if (!e) return this.fail(NOT_FOUND, "not found");
          return this.out(e.value, buf, cap, lenPtr);
        }),
        set: kvfn((handle, kp, kl, vp, vl, ttl) => {
          h.kv.set(key(kp, kl), { value: this.bytes(vp, vl), ttl: Number(ttl) });
          return OK;
        }),
        delete: kvfn((handle, kp, kl) => {
          h.kv.delete(key(kp, kl));
          return OK;
        }),
        exists: kvfn((handle, kp, kl) => (h.kv.has(key(kp, kl)) ? OK : this.fail(NOT_FOUND, "not found"))),
        list_keys: this.fn((handle, pp, pl, ap, al, buf, cap, lenPtr, morePtr) => {
          const prefix = this.str(pp, pl);
          const after = this.str(ap, al);
          const keys = [...h.kv.keys()].filter((k) => k.startsWith(prefix) && (after === "" || k > after)).sort();
          const parts = [];
          let size = 0;
          for (const k of keys) {
            const b = enc.encode(k + "\0");
            if (size + b.length > cap || parts.length === h.pageSize) break;
            parts.push(b);
            size += b.length;
          }
          if (parts.length === 0 && keys.length > 0) {
            this.u32(lenPtr, enc.encode(keys[0] + "\0").length);
            return this.fail(BUFFER_TOO_SMALL, "buffer too small for the first key");
          }
          const data = new Uint8Array(size);
          let off = 0;
          for (const b of parts) { data.set(b, off); off += b.length; }
          new Uint8Array(this.memory.buffer).set(data, buf);
          this.u32(lenPtr, size);
          this.u32(morePtr, parts.length < keys.length ? 1 : 0);
          return OK;
        }),
      },
      "wisp:keyvalue/atomics@1": {
        increment: kvfn((handle, kp, kl, delta, resultPtr) => {
          const k = key(kp, kl);
          const e = h.kv.get(k);
          const text = e ? dec.decode(e.value) : "0";
          if (!/^-?[0-9]+$/.test(text)) return this.fail(INVALID, `invalid: the value of "${k}" is not a decimal integer`);
          const n = BigInt(text) + delta;
          if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) return this.fail(LIMIT, "limit: increment overflows");
          h.kv.set(k, { value: enc.encode(n.toString()), ttl: 0 });
          this.i64(resultPtr, n);
          return OK;
        }),
        compare_and_swap: kvfn((handle, kp, kl, op, ol, absent, np, nl, swappedPtr) => {
          const k = key(kp, kl);
          const e = h.kv.get(k);
          let match;
          if (absent) match = !e;
          else match = !!e && Buffer.from(e.value).equals(Buffer.from(this.bytes(op, ol)));
          if (match) h.kv.set(k, { value: this.bytes(np, nl), ttl: 0 });
          this.u32(swappedPtr, match ? 1 : 0);
          return OK;
        }),
      },
      "wisp:config/store@1": {
        get: this.fn((np, nl, buf, cap, lenPtr) => {
          const name = this.str(np, nl);
          if (!(name in h.vars)) return this.fail(DENIED, `denied: variable "${name}" is not declared in [variables]`);
          const v = h.vars[name];
          if (v === null) return this.fail(NOT_FOUND, `variable "${name}" has no value`);
          return this.out(enc.encode(v), buf, cap, lenPtr);
        }),
      },
      "wisp:logging/logging@1": {
        log: this.fn((level, cp, cl, mp, ml, fp, fl) => {
          const f = this.str(fp, fl);
          h.logs.push({ level, context: this.str(cp, cl), message: this.str(mp, ml), fields: f === "" ? [] : f.slice(0, -1).split("\0"), rawFields: f });
          return OK;
        }),
      },
      "wisp:http/outgoing-handler@1": {
        send: this.fn((mp, ml, up, ul, hp, hl, bp, bl, respPtr) => {
          const url = this.str(up, ul);
          const req = { method: this.str(mp, ml), url, headers: this.str(hp, hl), body: this.str(bp, bl) };
          h.sent.push(req);
          const answer = h.upstream[url];
          if (!answer) return this.fail(DENIED, `denied: ${url} is not allowed by allowed_outbound_hosts`);
          const handle = this.nextHandle++;
          this.responses.set(handle, { ...answer, body: enc.encode(answer.body), offset: 0 });
          this.u32(respPtr, handle);
          return OK;
        }),
        status: this.fn((handle, statusPtr) => {
          const r = this.responses.get(handle);
          if (!r) return this.fail(INVALID, "invalid: unknown response handle");
          this.u32(statusPtr, r.status);
          return OK;
        }),
        header: this.fn((handle, np, nl, buf, cap, lenPtr) => {
          const r = this.responses.get(handle);
          if (!r) return this.fail(INVALID, "invalid: unknown response handle");
          const name = this.str(np, nl).toLowerCase();
          const hit = Object.entries(r.headers).find(([k]) => k.toLowerCase() === name);
          if (!hit) return this.fail(NOT_FOUND, "no such header");
          return this.out(enc.encode(hit[1]), buf, cap, lenPtr);
        }),
        headers: this.fn((handle, buf, cap, lenPtr) => {
          const r = this.responses.get(handle);
          if (!r) return this.fail(INVALID, "invalid: unknown response handle");
          const text = Object.entries(r.headers).map(([k, v]) => `${k}: ${v}\n`).join("");
          return this.out(enc.encode(text), buf, cap, lenPtr);
        }),
        read: this.fn((handle, buf, cap, nPtr) => {
          const r = this.responses.get(handle);
          if (!r) return this.fail(INVALID, "invalid: unknown response handle");
          // At most 1000 bytes per read, so a reader must loop.
          const n = Math.min(cap, 1000, r.body.length - r.offset);
          new Uint8Array(this.memory.buffer).set(r.body.subarray(r.offset, r.offset + n), buf);
          r.offset += n;
          this.u32(nPtr, n);
          return OK;
        }),
        close: this.fn((handle) => {
          if (!this.responses.delete(handle)) return this.fail(INVALID, "invalid: unknown response handle");
          h.closed.push(handle);
          return OK;
        }),
      },
    };
  }
}

class KeyError extends Error {}

/** The CGI environment of a request, as the gateway sets it. */
export function cgiEnv(method, scriptName, pathInfo, query = "", headers = {}, extra = {}) {
  const env = {
    GATEWAY_INTERFACE: "CGI/1.1",
    REQUEST_METHOD: method,
    SCRIPT_NAME: scriptName,
    PATH_INFO: pathInfo,
    QUERY_STRING: query,
    SERVER_NAME: "localhost",
    SERVER_PORT: "80",
    REMOTE_ADDR: "127.0.0.1",
    ...extra,
  };
  for (const [k, v] of Object.entries(headers)) {
    const name = k.toUpperCase().replaceAll("-", "_");
    if (name === "CONTENT_TYPE" || name === "CONTENT_LENGTH") env[name] = v;
    else env["HTTP_" + name] = v;
  }
  return env;
}

/**
 * Splits a CGI response into {status, headers (lower-case names to arrays
 * of values), body}; throws if there is no blank line after the header.
 */
export function parseCGI(out) {
  const end = out.indexOf("\n\n");
  if (end < 0) throw new Error(`no blank line after the CGI header in ${JSON.stringify(out)}`);
  const headers = {};
  for (const line of out.slice(0, end).split("\n")) {
    const i = line.indexOf(":");
    if (i <= 0) throw new Error(`bad CGI header line ${JSON.stringify(line)}`);
    const name = line.slice(0, i).toLowerCase();
    (headers[name] ??= []).push(line.slice(i + 1).trim());
  }
  return { status: Number((headers.status ?? ["200"])[0].split(" ")[0]), headers, body: out.slice(end + 2) };
}
