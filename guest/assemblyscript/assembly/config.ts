// Variables and secrets (wisp:config/store@1).

import { config_get } from "./abi";
import { Status, Result, ok, fail } from "./error";
import { grow } from "./kv";

/**
 * Variables declared in wisp.toml's [variables] and set at run time with
 * `wisp config set` or `wisp secret set`; every request sees the current
 * value.
 */
export namespace config {
  /**
   * The value of variable name (a secret's plaintext: never log or echo
   * it), or null if it is declared without a value or a default. DENIED if
   * wisp.toml does not declare it.
   */
  export function get(name: string): Result<string | null> {
    const n = String.UTF8.encode(name);
    const lenPtr = memory.data(4);
    let cap: usize = 256;
    for (let i = 0; i < 8; i++) {
      const buf = new ArrayBuffer(<i32>cap);
      const st = config_get(changetype<usize>(n), <usize>n.byteLength, changetype<usize>(buf), cap, lenPtr);
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
}
