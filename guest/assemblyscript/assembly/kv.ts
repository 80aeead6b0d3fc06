// Key-value stores (wisp:keyvalue/store@1 and wisp:keyvalue/atomics@1).

import {
  kv_open, kv_get, kv_set, kv_delete, kv_exists, kv_list_keys, kv_increment, kv_compare_and_swap,
} from "./abi";
import { Status, WispError, Result, ok, fail, check } from "./error";

/** How many tries a call makes when its result keeps outgrowing the buffer. */
const SIZED_TRIES = 8;

/** One page of keys from Store.listKeys. */
export class KeyPage {
  constructor(
    /** The keys, in bytewise order. */
    public keys: string[],
    /** True if more keys follow: call listKeys again with after = the last key. */
    public more: bool,
  ) {}
}

/**
 * A key-value store the app declares in wisp.toml (key_value_stores =
 * ["default"]). Keys are 1 to 512 bytes of UTF-8 without NUL; values are
 * bytes (the *String methods store UTF-8 text). Every call may fail with the
 * host's reason: DENIED (store not declared), INVALID (a bad key), LIMIT
 * (a size, count or per-request operations limit), UNAVAILABLE (a backend
 * outage). A store is only usable while handling a request.
 */
export class Store {
  private constructor(
    /** The store's label, as declared. */
    public readonly name: string,
    /** The host's handle for it. */
    public readonly handle: u32,
  ) {}

  /** Opens the store labelled name (DENIED if wisp.toml does not declare it). */
  static open(name: string): Result<Store> {
    const n = String.UTF8.encode(name);
    const out = memory.data(4);
    const st = kv_open(changetype<usize>(n), <usize>n.byteLength, out);
    if (st != Status.OK) return fail<Store>(st);
    return ok<Store>(new Store(name, load<u32>(out)));
  }

  /** The value of key, or null if it is absent or expired. */
  get(key: string): Result<Uint8Array | null> {
    const k = String.UTF8.encode(key);
    const lenPtr = memory.data(4);
    let cap: usize = 1024;
    for (let i = 0; i < SIZED_TRIES; i++) {
      const buf = new Uint8Array(<i32>cap);
      const st = kv_get(this.handle, changetype<usize>(k), <usize>k.byteLength, buf.dataStart, cap, lenPtr);
      if (st == Status.NOT_FOUND) return ok<Uint8Array | null>(null);
      if (st == Status.BUFFER_TOO_SMALL) {
        cap = grow(cap, load<u32>(lenPtr));
        continue;
      }
      if (st != Status.OK) return fail<Uint8Array | null>(st);
      const len = <i32>load<u32>(lenPtr);
      return ok<Uint8Array | null>(len == buf.length ? buf : buf.slice(0, len));
    }
    return fail<Uint8Array | null>(Status.BUFFER_TOO_SMALL);
  }

  /** The value of key as UTF-8 text, or null if it is absent or expired. */
  getString(key: string): Result<string | null> {
    const r = this.get(key);
    const err = r.error;
    if (err !== null) return new Result<string | null>(null, err);
    const v = r.value;
    if (v === null) return ok<string | null>(null);
    return ok<string | null>(String.UTF8.decodeUnsafe(v.dataStart, <usize>v.length));
  }

  /**
   * Stores value under key. ttlMs > 0 expires it that many milliseconds
   * later; 0 keeps it. Returns null on success.
   */
  set(key: string, value: Uint8Array, ttlMs: i64 = 0): WispError | null {
    const k = String.UTF8.encode(key);
    return check(kv_set(this.handle, changetype<usize>(k), <usize>k.byteLength, value.dataStart, <usize>value.length, ttlMs));
  }

  /** Stores the UTF-8 text value under key; see set. */
  setString(key: string, value: string, ttlMs: i64 = 0): WispError | null {
    return this.set(key, Uint8Array.wrap(String.UTF8.encode(value)), ttlMs);
  }

  /** Removes key (success if it was absent). Returns null on success. */
  delete(key: string): WispError | null {
    const k = String.UTF8.encode(key);
    return check(kv_delete(this.handle, changetype<usize>(k), <usize>k.byteLength));
  }

  /** Whether key is present (and not expired). */
  exists(key: string): Result<bool> {
    const k = String.UTF8.encode(key);
    const st = kv_exists(this.handle, changetype<usize>(k), <usize>k.byteLength);
    if (st == Status.OK) return ok<bool>(true);
    if (st == Status.NOT_FOUND) return ok<bool>(false);
    return fail<bool>(st);
  }

  /**
   * One page of the keys starting with prefix that sort (bytewise) after
   * after ("" for the first page): at most 1,000, in order. If page.more,
   * call again with after set to the page's last key.
   */
  listKeys(prefix: string = "", after: string = ""): Result<KeyPage> {
    const p = String.UTF8.encode(prefix);
    const a = String.UTF8.encode(after);
    const lenPtr = memory.data(4);
    const morePtr = memory.data(4);
    let cap: usize = 16384;
    for (let i = 0; i < SIZED_TRIES; i++) {
      const buf = new Uint8Array(<i32>cap);
      const st = kv_list_keys(
        this.handle,
        changetype<usize>(p), <usize>p.byteLength,
        changetype<usize>(a), <usize>a.byteLength,
        buf.dataStart, cap, lenPtr, morePtr,
      );
      if (st == Status.BUFFER_TOO_SMALL) {
        cap = grow(cap, load<u32>(lenPtr));
        continue;
      }
      if (st != Status.OK) return fail<KeyPage>(st);
      return ok<KeyPage>(new KeyPage(splitKeys(buf.dataStart, <usize>load<u32>(lenPtr)), load<u32>(morePtr) != 0));
    }
    return fail<KeyPage>(Status.BUFFER_TOO_SMALL);
  }

  /**
   * Every key starting with prefix, in bytewise order, reading page after
   * page (each page is one operation against limits.kv_ops).
   */
  keys(prefix: string = ""): Result<string[]> {
    const all = new Array<string>();
    let after = "";
    while (true) {
      const r = this.listKeys(prefix, after);
      const err = r.error;
      if (err !== null) return new Result<string[]>(all, err);
      const page = r.value;
      for (let i = 0; i < page.keys.length; i++) all.push(page.keys[i]);
      if (!page.more || page.keys.length == 0) break;
      after = page.keys[page.keys.length - 1];
    }
    return ok<string[]>(all);
  }

  /**
   * Atomically adds delta to key's value, a decimal integer in ASCII (an
   * absent key counts as 0), and returns the new value. INVALID if the
   * value is not a decimal i64, LIMIT on overflow.
   */
  increment(key: string, delta: i64 = 1): Result<i64> {
    const k = String.UTF8.encode(key);
    const out = memory.data(8);
    const st = kv_increment(this.handle, changetype<usize>(k), <usize>k.byteLength, delta, out);
    if (st != Status.OK) return fail<i64>(st);
    return ok<i64>(load<i64>(out));
  }

  /**
   * Atomically sets key to value if its value equals old, or, with old
   * null, if the key is absent. The result is true if it swapped, false if
   * the value differed; CONFLICT if it kept racing with other writers.
   */
  compareAndSwap(key: string, old: Uint8Array | null, value: Uint8Array): Result<bool> {
    const k = String.UTF8.encode(key);
    const out = memory.data(4);
    let oldPtr: usize = 0;
    let oldLen: usize = 0;
    let absent: u32 = 1;
    if (old !== null) {
      oldPtr = old.dataStart;
      oldLen = <usize>old.length;
      absent = 0;
    }
    const st = kv_compare_and_swap(
      this.handle,
      changetype<usize>(k), <usize>k.byteLength,
      oldPtr, oldLen, absent,
      value.dataStart, <usize>value.length,
      out,
    );
    if (st != Status.OK) return fail<bool>(st);
    return ok<bool>(load<u32>(out) != 0);
  }

  /** compareAndSwap with UTF-8 text (old null: the key must be absent). */
  compareAndSwapString(key: string, old: string | null, value: string): Result<bool> {
    const o: Uint8Array | null = old === null ? null : Uint8Array.wrap(String.UTF8.encode(old));
    return this.compareAndSwap(key, o, Uint8Array.wrap(String.UTF8.encode(value)));
  }
}

// grow is the next buffer size after a BUFFER_TOO_SMALL that asked for need.
export function grow(cap: usize, need: u32): usize {
  const n = <usize>need;
  return n > cap ? n : cap << 1;
}

// splitKeys reads len bytes at ptr as NUL-terminated keys.
function splitKeys(ptr: usize, len: usize): string[] {
  const keys = new Array<string>();
  let start: usize = 0;
  for (let i: usize = 0; i < len; i++) {
    if (load<u8>(ptr + i) == 0) {
      keys.push(String.UTF8.decodeUnsafe(ptr + start, i - start));
      start = i + 1;
    }
  }
  return keys;
}
