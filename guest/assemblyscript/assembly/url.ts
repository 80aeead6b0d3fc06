// Percent-decoding and application/x-www-form-urlencoded parsing, for query
// strings and form bodies.

function hexValue(c: u8): i32 {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x41 + 10;
  if (c >= 0x61 && c <= 0x66) return c - 0x61 + 10;
  return -1;
}

/**
 * Percent-decodes s ("a%20b" is "a b"); with plusIsSpace, as in query
 * strings and forms, "+" is a space too. It is lenient: a "%" not followed
 * by two hex digits stays as it is. The decoded bytes are read as UTF-8.
 */
export function percentDecode(s: string, plusIsSpace: bool = true): string {
  if (s.indexOf("%") < 0 && (!plusIsSpace || s.indexOf("+") < 0)) return s;
  const src = Uint8Array.wrap(String.UTF8.encode(s));
  const out = new Uint8Array(src.length);
  let n = 0;
  for (let i = 0; i < src.length; i++) {
    const c = src[i];
    if (c == 0x25 && i + 2 < src.length) {
      const hi = hexValue(src[i + 1]);
      const lo = hexValue(src[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out[n++] = <u8>((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    out[n++] = plusIsSpace && c == 0x2b ? 0x20 : c;
  }
  return String.UTF8.decodeUnsafe(out.dataStart, <usize>n);
}

/** One name and value of a query string or form, decoded. */
export class Param {
  constructor(public name: string, public value: string) {}
}

/**
 * Parses an application/x-www-form-urlencoded text (a query string without
 * its "?", or a form body) into its parameters, in order, decoded. Empty
 * elements ("a=1&&b=2") are skipped; an element without "=" has value "".
 */
export function parseQuery(s: string): Param[] {
  const params = new Array<Param>();
  if (s.length == 0) return params;
  const parts = s.split("&");
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.length == 0) continue;
    const eq = part.indexOf("=");
    if (eq < 0) {
      params.push(new Param(percentDecode(part), ""));
    } else {
      params.push(new Param(percentDecode(part.substring(0, eq)), percentDecode(part.substring(eq + 1))));
    }
  }
  return params;
}

/** The first value of name in params, or null. */
export function firstValue(params: Param[], name: string): string | null {
  for (let i = 0; i < params.length; i++) {
    if (params[i].name == name) return params[i].value;
  }
  return null;
}

/** Every value of name in params, in order. */
export function allValues(params: Param[], name: string): string[] {
  const out = new Array<string>();
  for (let i = 0; i < params.length; i++) {
    if (params[i].name == name) out.push(params[i].value);
  }
  return out;
}
