// wasi.js: a WASI preview 1 host for the browser, written for Wisp's
// playground, over the browser's own WebAssembly API. It runs one CGI
// request the way a Wisp node does: argv, the environment and stdin given,
// stdout and stderr collected, read-only file bundles mounted as
// preopened directories, a real-time and a monotonic clock, and
// crypto-quality random bytes. A module that exports wisp_handle is a
// reactor: _initialize runs first (what the node does once per deploy),
// then wisp_handle; otherwise _start runs.
//
// Calls a request handler has no use for (sockets, writing files) answer
// ENOSYS or EROFS/ENOTCAPABLE, as a read-only sandbox would. Wisp's
// platform services (wisp:keyvalue, wisp:config...) come from services.js
// when the caller gives them; a module importing anything else is refused
// before it runs, naming the imports.

const enc = new TextEncoder();

// errno values (wasi_snapshot_preview1)
const E = {
  SUCCESS: 0, ACCES: 2, BADF: 8, EXIST: 20, FAULT: 21, INVAL: 28, IO: 29, ISDIR: 31,
  NOENT: 44, NOSYS: 52, NOTDIR: 54, NOTEMPTY: 55, NOTSUP: 58, PERM: 63, ROFS: 69,
  SPIPE: 70, NOTCAPABLE: 76,
};
const FILETYPE = { UNKNOWN: 0, CHAR: 2, DIR: 3, REG: 4 };
const CLOCK = { REALTIME: 0, MONOTONIC: 1, PROCESS: 2, THREAD: 3 };
const OFLAGS = { CREAT: 1, DIRECTORY: 2, EXCL: 4, TRUNC: 8 };
const RIGHTS_ALL = 0x1fffffffn;

// WasiExit is thrown by proc_exit to unwind the guest.
export class WasiExit extends Error {
  constructor(code) {
    super(`exit status ${code}`);
    this.code = code;
  }
}

// parseTar reads a tar archive (ustar, PAX and GNU long names; what
// Wisp's bundles and other tar tools write) into files and directories
// by clean relative path.
export function parseTar(bytes) {
  const files = new Map();
  const dirs = new Set(["."]);
  const dec = new TextDecoder();
  const str = (off, len) => {
    const b = bytes.subarray(off, off + len);
    const end = b.indexOf(0);
    return dec.decode(end < 0 ? b : b.subarray(0, end));
  };
  const octal = (off, len) => parseInt(str(off, len).trim() || "0", 8);
  let off = 0;
  let longName = null;
  while (off + 512 <= bytes.length) {
    if (bytes.subarray(off, off + 512).every((b) => b === 0)) break;
    let name = str(off, 100);
    const size = octal(off + 124, 12);
    const type = String.fromCharCode(bytes[off + 156] || 48);
    if (str(off + 257, 5) === "ustar") {
      const prefix = str(off + 345, 155);
      if (prefix) name = prefix + "/" + name;
    }
    const data = bytes.subarray(off + 512, off + 512 + size);
    off += 512 + Math.ceil(size / 512) * 512;
    if (type === "x") { // PAX: records "LEN key=value\n"
      const text = dec.decode(data);
      for (const m of text.matchAll(/\d+ ([^=]+)=([^\n]*)\n/g)) {
        if (m[1] === "path") longName = m[2];
      }
      continue;
    }
    if (type === "L") { longName = dec.decode(data).replace(/\0+$/, ""); continue; }
    if (type === "g") continue;
    if (longName !== null) { name = longName; longName = null; }
    name = name.replace(/^\.\//, "").replace(/\/+$/, "");
    if (!name || name === ".") continue;
    const parts = name.split("/");
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join("/"));
    if (type === "5") dirs.add(name);
    else if (type === "0" || type === "\0") files.set(name, data.slice());
  }
  return { files, dirs };
}

// makeTar writes files ([{path, data}], clean relative paths) as a ustar
// archive: what the dashboard uploads for a dropped folder's [[files]].
export function makeTar(files) {
  const blocks = [];
  const header = (name, size, type) => {
    const h = new Uint8Array(512);
    let prefix = "";
    if (enc.encode(name).length > 100) {
      const cut = name.lastIndexOf("/", name.length - 1);
      prefix = name.slice(0, cut);
      name = name.slice(cut + 1);
      if (enc.encode(name).length > 100 || enc.encode(prefix).length > 155) {
        throw new Error(`file name too long for a tar archive: ${prefix}/${name}`);
      }
    }
    const put = (off, s) => h.set(enc.encode(s), off);
    put(0, name);
    put(100, type === "5" ? "0000755\0" : "0000644\0");
    put(108, "0000000\0");
    put(116, "0000000\0");
    put(124, size.toString(8).padStart(11, "0") + "\0");
    put(136, "00000000000\0");
    put(148, "        ");
    h[156] = type.charCodeAt(0);
    put(257, "ustar\0");
    put(263, "00");
    put(345, prefix);
    let sum = 0;
    for (const b of h) sum += b;
    put(148, sum.toString(8).padStart(6, "0") + "\0 ");
    return h;
  };
  for (const f of files) {
    blocks.push(header(f.path, f.data.length, "0"));
    blocks.push(f.data);
    const pad = (512 - (f.data.length % 512)) % 512;
    if (pad) blocks.push(new Uint8Array(pad));
  }
  blocks.push(new Uint8Array(1024));
  const total = blocks.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(total);
  let o = 0;
  for (const b of blocks) { out.set(b, o); o += b.length; }
  return out;
}

// moduleKind tells a core module from a component by the binary's
// version field.
export function moduleKind(bytes) {
  if (bytes.length < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) return "not wasm";
  return bytes[4] === 1 && bytes[5] === 0 && bytes[6] === 0 && bytes[7] === 0 ? "module" : "component";
}

// foreignImports lists the imports neither this host nor extra (more
// import modules, such as the platform services') provides.
export function foreignImports(module, extra = {}) {
  return WebAssembly.Module.imports(module)
    .filter((i) => i.module !== "wasi_snapshot_preview1" && !(extra[i.module] && i.name in extra[i.module]))
    .map((i) => `${i.module}.${i.name}`);
}

// run instantiates module (a compiled WebAssembly.Module) and runs it once
// on a CGI request: {args, env (["K=V"...]), stdin (Uint8Array), mounts
// ([{guest: "/static", tar: Uint8Array}]), services (a services.js
// Services for the platform services, or none)}. It answers {stdout,
// stderr (Uint8Array), exitCode, error (a trap's message, or "")}.
export async function run(module, req) {
  const extra = req.services ? req.services.imports() : {};
  const foreign = foreignImports(module, extra);
  if (foreign.length) {
    throw new Error(`this module imports ${foreign.join(", ")}, which only a Wisp node provides: the browser runs modules that use WASI preview 1 and Wisp's platform services`);
  }
  const host = new Host(req);
  const imports = { ...extra, wasi_snapshot_preview1: host.imports(module) };
  const instance = await WebAssembly.instantiate(module, imports);
  host.memory = instance.exports.memory;
  if (req.services) req.services.memory = instance.exports.memory;
  const ex = instance.exports;
  let exitCode = 0;
  let error = "";
  try {
    if (typeof ex.wisp_handle === "function") {
      if (typeof ex._initialize === "function") {
        ex._initialize();
        host.stdout.length = 0; // the node keeps only what the handler writes
        host.stderr.length = 0;
      }
      ex.wisp_handle();
    } else if (typeof ex._start === "function") {
      ex._start();
    } else {
      throw new Error("the module exports neither _start nor wisp_handle");
    }
  } catch (e) {
    if (e instanceof WasiExit) exitCode = e.code;
    else { exitCode = -1; error = String(e && e.message || e); }
  }
  return { stdout: concat(host.stdout), stderr: concat(host.stderr), exitCode, error };
}

function concat(chunks) {
  const n = chunks.reduce((s, c) => s + c.length, 0);
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

// Host is one instance's WASI state: its file descriptors and buffers.
class Host {
  constructor(req) {
    this.args = (req.args || []).map((s) => enc.encode(s + "\0"));
    this.env = (req.env || []).map((s) => enc.encode(s + "\0"));
    this.stdin = req.stdin || new Uint8Array(0);
    this.stdinPos = 0;
    this.stdout = [];
    this.stderr = [];
    this.memory = null;
    this.epoch = performance.now();
    // fds 0-2 are stdio; each mount is a preopened directory from 3 on.
    this.fds = [
      { kind: "stdin" }, { kind: "stdout" }, { kind: "stderr" },
    ];
    for (const m of req.mounts || []) {
      const { files, dirs } = parseTar(m.tar);
      this.fds.push({ kind: "dir", preopen: m.guest, tree: { files, dirs }, path: "." });
    }
  }

  view() { return new DataView(this.memory.buffer); }
  bytes() { return new Uint8Array(this.memory.buffer); }

  // imports gives every preview 1 function the module imports: the ones
  // below, or ENOSYS for the rest.
  imports(module) {
    const out = {};
    for (const imp of WebAssembly.Module.imports(module)) {
      if (imp.module !== "wasi_snapshot_preview1" || imp.kind !== "function") continue;
      const f = this[imp.name];
      out[imp.name] = typeof f === "function" && !imp.name.startsWith("_") && imp.name !== "constructor"
        ? (...a) => this.call(f, a)
        : () => E.NOSYS;
    }
    return out;
  }

  call(f, a) {
    try {
      return f.apply(this, a);
    } catch (e) {
      if (e instanceof WasiExit) throw e;
      if (e instanceof RangeError) return E.FAULT; // an address outside memory
      throw e;
    }
  }

  str(ptr, len) { return new TextDecoder().decode(this.bytes().subarray(ptr, ptr + len)); }

  // --- arguments and environment ---
  args_sizes_get(countPtr, sizePtr) { return this.sizes(this.args, countPtr, sizePtr); }
  args_get(argv, buf) { return this.lay(this.args, argv, buf); }
  environ_sizes_get(countPtr, sizePtr) { return this.sizes(this.env, countPtr, sizePtr); }
  environ_get(envp, buf) { return this.lay(this.env, envp, buf); }
  sizes(list, countPtr, sizePtr) {
    const v = this.view();
    v.setUint32(countPtr, list.length, true);
    v.setUint32(sizePtr, list.reduce((n, s) => n + s.length, 0), true);
    return E.SUCCESS;
  }
  lay(list, ptrs, buf) {
    const v = this.view();
    const b = this.bytes();
    for (let i = 0; i < list.length; i++) {
      v.setUint32(ptrs + 4 * i, buf, true);
      b.set(list[i], buf);
      buf += list[i].length;
    }
    return E.SUCCESS;
  }

  // --- clocks, randomness, scheduling ---
  now(id) {
    if (id === CLOCK.REALTIME) {
      return BigInt(Math.round((performance.timeOrigin + performance.now()) * 1e6));
    }
    return BigInt(Math.round((performance.now() - this.epoch) * 1e6));
  }
  clock_res_get(id, resPtr) {
    if (id > CLOCK.THREAD) return E.INVAL;
    this.view().setBigUint64(resPtr, 1000n, true);
    return E.SUCCESS;
  }
  clock_time_get(id, _precision, timePtr) {
    if (id > CLOCK.THREAD) return E.INVAL;
    this.view().setBigUint64(timePtr, this.now(id), true);
    return E.SUCCESS;
  }
  random_get(ptr, len) {
    const b = this.bytes();
    for (let o = 0; o < len; o += 65536) {
      crypto.getRandomValues(b.subarray(ptr + o, ptr + Math.min(len, o + 65536)));
    }
    return E.SUCCESS;
  }
  sched_yield() { return E.SUCCESS; }
  proc_exit(code) { throw new WasiExit(code); }
  proc_raise() { return E.NOSYS; }

  // poll_oneoff answers every subscription at once; a clock subscription
  // waits out its timeout first (a guest sleeping: the page waits with
  // it, up to 5 s, as no request runs longer on a node by default).
  poll_oneoff(inPtr, outPtr, nsubs, neventsPtr) {
    const v = this.view();
    let wait = 0n;
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + 48 * i;
      if (v.getUint8(s + 8) === 0) {
        let t = v.getBigUint64(s + 24, true);
        if (v.getUint16(s + 40, true) & 1) t -= this.now(v.getUint32(s + 16, true)); // absolute
        if (t > wait) wait = t;
      }
    }
    const until = performance.now() + Math.min(Number(wait) / 1e6, 5000);
    while (performance.now() < until) { /* a guest's sleep */ }
    for (let i = 0; i < nsubs; i++) {
      const s = inPtr + 48 * i;
      const e = outPtr + 32 * i;
      v.setBigUint64(e, v.getBigUint64(s, true), true);
      v.setUint16(e + 8, E.SUCCESS, true);
      v.setUint8(e + 10, v.getUint8(s + 8));
      v.setBigUint64(e + 16, 0n, true);
      v.setUint16(e + 24, 0, true);
    }
    v.setUint32(neventsPtr, nsubs, true);
    return E.SUCCESS;
  }

  // --- file descriptors ---
  fd(n) { return this.fds[n] || null; }

  iovs(ptr, count) {
    const v = this.view();
    const out = [];
    for (let i = 0; i < count; i++) {
      out.push([v.getUint32(ptr + 8 * i, true), v.getUint32(ptr + 8 * i + 4, true)]);
    }
    return out;
  }

  fd_write(fd, iovs, count, nPtr) {
    const f = this.fd(fd);
    if (!f) return E.BADF;
    if (f.kind !== "stdout" && f.kind !== "stderr") return f.kind === "dir" ? E.ISDIR : E.BADF;
    const sink = f.kind === "stdout" ? this.stdout : this.stderr;
    let n = 0;
    for (const [p, l] of this.iovs(iovs, count)) {
      sink.push(this.bytes().slice(p, p + l));
      n += l;
    }
    this.view().setUint32(nPtr, n, true);
    return E.SUCCESS;
  }
  fd_pwrite() { return E.BADF; }

  // source returns the bytes fd reads and its position holder.
  readable(fd) {
    const f = this.fd(fd);
    if (!f) return null;
    if (f.kind === "stdin") return { data: this.stdin, get pos() { return this.h.stdinPos; }, set pos(x) { this.h.stdinPos = x; }, h: this };
    if (f.kind === "file") return { data: f.data, get pos() { return f.pos; }, set pos(x) { f.pos = x; } };
    return null;
  }
  fd_read(fd, iovs, count, nPtr) {
    const f = this.fd(fd);
    if (!f) return E.BADF;
    if (f.kind === "dir") return E.ISDIR;
    const r = this.readable(fd);
    if (!r) return E.BADF;
    let n = 0;
    for (const [p, l] of this.iovs(iovs, count)) {
      const chunk = r.data.subarray(r.pos, r.pos + l);
      this.bytes().set(chunk, p);
      r.pos += chunk.length;
      n += chunk.length;
      if (chunk.length < l) break;
    }
    this.view().setUint32(nPtr, n, true);
    return E.SUCCESS;
  }
  fd_pread(fd, iovs, count, offset, nPtr) {
    const f = this.fd(fd);
    if (!f || f.kind !== "file") return f && f.kind === "dir" ? E.ISDIR : E.BADF;
    let pos = Number(offset);
    let n = 0;
    for (const [p, l] of this.iovs(iovs, count)) {
      const chunk = f.data.subarray(pos, pos + l);
      this.bytes().set(chunk, p);
      pos += chunk.length;
      n += chunk.length;
      if (chunk.length < l) break;
    }
    this.view().setUint32(nPtr, n, true);
    return E.SUCCESS;
  }
  fd_seek(fd, offset, whence, newPtr) {
    const f = this.fd(fd);
    if (!f) return E.BADF;
    if (f.kind !== "file") return f.kind === "dir" ? E.ISDIR : E.SPIPE;
    const base = [0, f.pos, f.data.length][whence];
    if (base === undefined) return E.INVAL;
    const pos = BigInt(base) + offset;
    if (pos < 0n) return E.INVAL;
    f.pos = Number(pos);
    this.view().setBigUint64(newPtr, pos, true);
    return E.SUCCESS;
  }
  fd_tell(fd, newPtr) {
    const f = this.fd(fd);
    if (!f) return E.BADF;
    if (f.kind !== "file") return E.SPIPE;
    this.view().setBigUint64(newPtr, BigInt(f.pos), true);
    return E.SUCCESS;
  }
  fd_close(fd) {
    if (!this.fd(fd)) return E.BADF;
    this.fds[fd] = null;
    return E.SUCCESS;
  }
  fd_fdstat_get(fd, ptr) {
    const f = this.fd(fd);
    if (!f) return E.BADF;
    const v = this.view();
    const type = f.kind === "dir" ? FILETYPE.DIR : f.kind === "file" ? FILETYPE.REG : FILETYPE.UNKNOWN;
    v.setUint8(ptr, type);
    v.setUint16(ptr + 2, 0, true);
    v.setBigUint64(ptr + 8, RIGHTS_ALL, true);
    v.setBigUint64(ptr + 16, RIGHTS_ALL, true);
    return E.SUCCESS;
  }
  fd_fdstat_set_flags(fd) { return this.fd(fd) ? E.SUCCESS : E.BADF; }
  fd_fdstat_set_rights(fd) { return this.fd(fd) ? E.SUCCESS : E.BADF; }
  fd_advise(fd) { return this.fd(fd) ? E.SUCCESS : E.BADF; }
  fd_sync(fd) { return this.fd(fd) ? E.SUCCESS : E.BADF; }
  fd_datasync(fd) { return this.fd(fd) ? E.SUCCESS : E.BADF; }
  fd_allocate(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  fd_filestat_set_size(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  fd_filestat_set_times(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  fd_renumber(from, to) {
    if (!this.fd(from) || !this.fd(to)) return E.BADF;
    this.fds[to] = this.fds[from];
    this.fds[from] = null;
    return E.SUCCESS;
  }

  filestat(ptr, type, size, ino) {
    const v = this.view();
    v.setBigUint64(ptr, 0n, true);
    v.setBigUint64(ptr + 8, BigInt(ino), true);
    v.setUint8(ptr + 16, type);
    v.setBigUint64(ptr + 24, 1n, true);
    v.setBigUint64(ptr + 32, BigInt(size), true);
    v.setBigUint64(ptr + 40, 0n, true);
    v.setBigUint64(ptr + 48, 0n, true);
    v.setBigUint64(ptr + 56, 0n, true);
  }
  fd_filestat_get(fd, ptr) {
    const f = this.fd(fd);
    if (!f) return E.BADF;
    if (f.kind === "file") this.filestat(ptr, FILETYPE.REG, f.data.length, 0);
    else if (f.kind === "dir") this.filestat(ptr, FILETYPE.DIR, 0, 0);
    else this.filestat(ptr, FILETYPE.CHAR, 0, 0);
    return E.SUCCESS;
  }

  fd_prestat_get(fd, ptr) {
    const f = this.fd(fd);
    if (!f) return E.BADF;
    if (!f.preopen) return E.BADF;
    const v = this.view();
    v.setUint8(ptr, 0);
    v.setUint32(ptr + 4, enc.encode(f.preopen).length, true);
    return E.SUCCESS;
  }
  fd_prestat_dir_name(fd, ptr, len) {
    const f = this.fd(fd);
    if (!f || !f.preopen) return E.BADF;
    const name = enc.encode(f.preopen);
    if (len < name.length) return E.INVAL;
    this.bytes().set(name, ptr);
    return E.SUCCESS;
  }

  // resolve joins a path to the directory fd and cleans it, refusing to
  // climb above the mount.
  resolve(fd, ptr, len) {
    const d = this.fd(fd);
    if (!d) return { err: E.BADF };
    if (d.kind !== "dir") return { err: E.NOTDIR };
    const given = this.str(ptr, len);
    if (given.startsWith("/")) return { err: E.NOTCAPABLE };
    const parts = d.path === "." ? [] : d.path.split("/");
    for (const p of given.split("/")) {
      if (p === "" || p === ".") continue;
      if (p === "..") {
        if (!parts.length) return { err: E.NOTCAPABLE };
        parts.pop();
      } else parts.push(p);
    }
    return { dir: d, path: parts.length ? parts.join("/") : "." };
  }

  path_open(fd, _dirflags, ptr, len, oflags, _rb, _ri, _fdflags, outPtr) {
    const r = this.resolve(fd, ptr, len);
    if (r.err) return r.err;
    const { tree } = r.dir;
    const isDir = tree.dirs.has(r.path);
    const data = tree.files.get(r.path);
    if (!isDir && !data) return oflags & OFLAGS.CREAT ? E.ROFS : E.NOENT;
    if (oflags & (OFLAGS.CREAT | OFLAGS.TRUNC)) return oflags & OFLAGS.EXCL ? E.EXIST : E.ROFS;
    if (oflags & OFLAGS.DIRECTORY && !isDir) return E.NOTDIR;
    const entry = isDir ? { kind: "dir", tree, path: r.path } : { kind: "file", data, pos: 0 };
    this.fds.push(entry);
    this.view().setUint32(outPtr, this.fds.length - 1, true);
    return E.SUCCESS;
  }
  path_filestat_get(fd, _flags, ptr, len, out) {
    const r = this.resolve(fd, ptr, len);
    if (r.err) return r.err;
    const { tree } = r.dir;
    if (tree.dirs.has(r.path)) this.filestat(out, FILETYPE.DIR, 0, 0);
    else if (tree.files.has(r.path)) this.filestat(out, FILETYPE.REG, tree.files.get(r.path).length, 0);
    else return E.NOENT;
    return E.SUCCESS;
  }
  fd_readdir(fd, buf, bufLen, cookie, usedPtr) {
    const d = this.fd(fd);
    if (!d) return E.BADF;
    if (d.kind !== "dir") return E.NOTDIR;
    const prefix = d.path === "." ? "" : d.path + "/";
    const names = new Map([[".", FILETYPE.DIR], ["..", FILETYPE.DIR]]);
    for (const p of d.tree.dirs) if (p !== "." && p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) names.set(p.slice(prefix.length), FILETYPE.DIR);
    for (const p of d.tree.files.keys()) if (p.startsWith(prefix) && !p.slice(prefix.length).includes("/")) names.set(p.slice(prefix.length), FILETYPE.REG);
    const list = [...names].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    const v = this.view();
    const b = this.bytes();
    let used = 0;
    for (let i = Number(cookie); i < list.length && used < bufLen; i++) {
      const name = enc.encode(list[i][0]);
      const ent = new Uint8Array(24 + name.length);
      const ev = new DataView(ent.buffer);
      ev.setBigUint64(0, BigInt(i + 1), true);
      ev.setBigUint64(8, BigInt(i + 1), true);
      ev.setUint32(16, name.length, true);
      ev.setUint8(20, list[i][1]);
      ent.set(name, 24);
      const n = Math.min(ent.length, bufLen - used);
      b.set(ent.subarray(0, n), buf + used);
      used += n;
    }
    v.setUint32(usedPtr, used, true);
    return E.SUCCESS;
  }
  path_readlink(fd, ptr, len) { const r = this.resolve(fd, ptr, len); return r.err || E.INVAL; }
  path_create_directory(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  path_remove_directory(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  path_unlink_file(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  path_rename(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  path_symlink() { return E.ROFS; }
  path_link(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
  path_filestat_set_times(fd) { return this.fd(fd) ? E.ROFS : E.BADF; }
}
