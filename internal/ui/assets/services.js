// services.js: Wisp's guest ABI (docs/guest-abi.md) for the playground, so
// that modules using the platform services run in the browser too. It
// reads what the node has, through the admin API: key-value stores (get,
// exists, list_keys) and variables (config get). It never writes and never
// reaches the network: a write (set, delete, increment, compare_and_swap)
// or an outbound request fails with DENIED and says why, and a secret's
// value never leaves the node (UNAVAILABLE). Log entries stay in the page.
//
// Backends are synchronous, since a host call must answer before the guest
// goes on: the page gives kvGet(store, key) -> {status, bytes} and
// kvList(store, prefix, after) -> {status, keys, more} (synchronous
// requests to the admin API) and the app's variables, read beforehand.

const S = { OK: 0, NOT_FOUND: 1, BUFFER_TOO_SMALL: 2, DENIED: 3, INVALID: 4, LIMIT: 5, UNAVAILABLE: 6, FAULT: 8 };
const enc = new TextEncoder();
const dec = new TextDecoder("utf-8", { fatal: true });

// Services answers one run's host calls. memory() gives the instance's
// memory once it exists.
export class Services {
  constructor({ stores, variables, kvGet, kvList }) {
    this.stores = new Set(stores || []); // the stores the app declares
    this.variables = variables || []; // wisp.VariableInfo, from GET /v1/apps/NAME/variables
    this.kvGet = kvGet;
    this.kvList = kvList;
    this.handles = []; // store names by handle - 1
    this.cache = new Map(); // "store\0key" -> {status, bytes}: a run reads each key once
    this.lastError = "";
    this.logs = [];
    this.memory = null;
  }

  bytes() { return new Uint8Array(this.memory.buffer); }
  view() { return new DataView(this.memory.buffer); }
  read(ptr, len) {
    if (ptr + len > this.memory.buffer.byteLength) throw new RangeError("outside memory");
    return this.bytes().slice(ptr, ptr + len);
  }
  text(ptr, len) {
    try { return dec.decode(this.read(ptr, len)); } catch (e) { if (e instanceof RangeError) throw e; return null; }
  }
  fail(status, msg) { this.lastError = msg; return status; }

  // out writes data into (buf, cap) with its size at lenPtr, or answers
  // BUFFER_TOO_SMALL with the size.
  out(data, buf, cap, lenPtr) {
    this.view().setUint32(lenPtr, data.length, true);
    if (data.length > cap) return S.BUFFER_TOO_SMALL;
    this.bytes().set(data, buf);
    return S.OK;
  }

  store(handle) { return this.handles[handle - 1]; }

  // imports returns the functions of the guest ABI's import modules.
  imports() {
    const wrap = (f) => (...a) => {
      try {
        return f.apply(this, a);
      } catch (e) {
        if (e instanceof RangeError) return this.fail(S.FAULT, "a pointer and length outside linear memory");
        return this.fail(S.UNAVAILABLE, `the playground could not ask the node: ${e.message}`);
      }
    };
    const denyWrite = (what) => () => this.fail(S.DENIED, `${what}: the playground in the browser reads the node's key-value stores but never writes them`);
    const denyHTTP = () => this.fail(S.DENIED, "outbound HTTP: the playground in the browser makes no outbound requests; they run on the node");
    return {
      "wisp:host/error@1": { last: wrap(this.last) },
      "wisp:keyvalue/store@1": {
        open: wrap(this.open), get: wrap(this.get), exists: wrap(this.exists), list_keys: wrap(this.listKeys),
        set: wrap(denyWrite("set")), delete: wrap(denyWrite("delete")),
      },
      "wisp:keyvalue/atomics@1": { increment: wrap(denyWrite("increment")), compare_and_swap: wrap(denyWrite("compare_and_swap")) },
      "wisp:config/store@1": { get: wrap(this.configGet) },
      "wisp:logging/logging@1": { log: wrap(this.log) },
      "wisp:http/outgoing-handler@1": {
        send: wrap(denyHTTP),
        status: wrap(() => this.fail(S.INVALID, "no such response handle")),
        header: wrap(() => this.fail(S.INVALID, "no such response handle")),
        headers: wrap(() => this.fail(S.INVALID, "no such response handle")),
        read: wrap(() => this.fail(S.INVALID, "no such response handle")),
        close: wrap(() => this.fail(S.INVALID, "no such response handle")),
      },
    };
  }

  last(buf, cap, lenPtr) { return this.out(enc.encode(this.lastError), buf, cap, lenPtr); }

  open(namePtr, nameLen, handlePtr) {
    const name = this.text(namePtr, nameLen);
    if (name === null) return this.fail(S.INVALID, "store name is not UTF-8");
    if (!this.stores.has(name)) return this.fail(S.DENIED, `store ${JSON.stringify(name)} is not one the app declares (key_value_stores)`);
    let h = this.handles.indexOf(name) + 1;
    if (!h) { this.handles.push(name); h = this.handles.length; }
    this.view().setUint32(handlePtr, h, true);
    return S.OK;
  }

  key(handle, keyPtr, keyLen) {
    const store = this.store(handle);
    if (!store) return { status: this.fail(S.INVALID, `no store handle ${handle}`) };
    if (keyLen === 0 || keyLen > 512) return { status: this.fail(S.INVALID, "a key is 1 to 512 bytes") };
    const key = this.text(keyPtr, keyLen);
    if (key === null || key.includes("\0")) return { status: this.fail(S.INVALID, "a key is UTF-8 without NUL") };
    return { store, key };
  }

  value(store, key) {
    const id = store + "\0" + key;
    if (!this.cache.has(id)) this.cache.set(id, this.kvGet(store, key));
    return this.cache.get(id);
  }

  get(handle, keyPtr, keyLen, buf, cap, lenPtr) {
    const k = this.key(handle, keyPtr, keyLen);
    if (k.status !== undefined) return k.status;
    const v = this.value(k.store, k.key);
    if (v.status === S.NOT_FOUND) return this.fail(S.NOT_FOUND, `no key ${JSON.stringify(k.key)} in store ${k.store}`);
    if (v.status !== S.OK) return this.fail(v.status, v.message);
    return this.out(v.bytes, buf, cap, lenPtr);
  }

  exists(handle, keyPtr, keyLen) {
    const k = this.key(handle, keyPtr, keyLen);
    if (k.status !== undefined) return k.status;
    const v = this.value(k.store, k.key);
    if (v.status === S.OK || v.status === S.NOT_FOUND) return v.status;
    return this.fail(v.status, v.message);
  }

  listKeys(handle, prefixPtr, prefixLen, afterPtr, afterLen, buf, cap, lenPtr, morePtr) {
    const store = this.store(handle);
    if (!store) return this.fail(S.INVALID, `no store handle ${handle}`);
    const prefix = this.text(prefixPtr, prefixLen);
    const after = this.text(afterPtr, afterLen);
    if (prefix === null || after === null) return this.fail(S.INVALID, "prefix and after are UTF-8");
    const r = this.kvList(store, prefix, after);
    if (r.status !== S.OK) return this.fail(r.status, r.message);
    const parts = [];
    let size = 0;
    for (const k of r.keys) {
      const b = enc.encode(k + "\0");
      if (size + b.length > cap) break;
      parts.push(b);
      size += b.length;
    }
    if (r.keys.length && !parts.length) {
      this.view().setUint32(lenPtr, enc.encode(r.keys[0] + "\0").length, true);
      return S.BUFFER_TOO_SMALL;
    }
    const mem = this.bytes();
    let o = buf;
    for (const b of parts) { mem.set(b, o); o += b.length; }
    this.view().setUint32(lenPtr, size, true);
    this.view().setUint32(morePtr, parts.length < r.keys.length || r.more ? 1 : 0, true);
    return S.OK;
  }

  configGet(namePtr, nameLen, buf, cap, lenPtr) {
    const name = this.text(namePtr, nameLen);
    if (name === null) return this.fail(S.INVALID, "variable name is not UTF-8");
    const v = this.variables.find((x) => x.name === name);
    if (!v || !v.declared) return this.fail(S.DENIED, `variable ${JSON.stringify(name)} is not one the app declares ([variables])`);
    if (v.secret && v.source !== "none") return this.fail(S.UNAVAILABLE, `variable ${JSON.stringify(name)} is a secret: its value never leaves the node, so the browser cannot read it`);
    const value = v.source === "set" ? v.value : v.source === "default" ? v.default : undefined;
    if (value === undefined) return this.fail(S.NOT_FOUND, `variable ${JSON.stringify(name)} has no value and no default`);
    return this.out(enc.encode(value), buf, cap, lenPtr);
  }

  log(level, ctxPtr, ctxLen, msgPtr, msgLen, fieldsPtr, fieldsLen) {
    const levels = ["trace", "debug", "info", "warn", "error", "critical"];
    const fields = this.text(fieldsPtr, fieldsLen) || "";
    this.logs.push({ level: levels[level] || String(level), context: this.text(ctxPtr, ctxLen) || "", message: this.text(msgPtr, msgLen) || "", fields: fields.split("\0").filter((_, i, a) => i < a.length - 1) });
    return S.OK;
  }
}

export const STATUS = S;
