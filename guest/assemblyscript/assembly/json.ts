// Writing JSON: quoting strings and building objects. (Reading JSON is out
// of scope; see the json-as package for a full implementation.)

const HEX = "0123456789abcdef";

/** s as a JSON string literal, quotes included, escaped as RFC 8259 asks. */
export function jsonQuote(s: string): string {
  let out = "\"";
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c != 0x22 && c != 0x5c) continue;
    out += s.substring(start, i);
    start = i + 1;
    if (c == 0x22) out += "\\\"";
    else if (c == 0x5c) out += "\\\\";
    else if (c == 0x0a) out += "\\n";
    else if (c == 0x0d) out += "\\r";
    else if (c == 0x09) out += "\\t";
    else if (c == 0x08) out += "\\b";
    else if (c == 0x0c) out += "\\f";
    else out += "\\u00" + HEX.charAt(c >> 4) + HEX.charAt(c & 15);
  }
  return out + s.substring(start) + "\"";
}

/** A JSON array of strings. */
export function jsonStrings(items: string[]): string {
  let out = "[";
  for (let i = 0; i < items.length; i++) {
    if (i > 0) out += ",";
    out += jsonQuote(items[i]);
  }
  return out + "]";
}

/**
 * Builds a JSON object, members in the order added:
 *
 *   new JSONObject().str("code", code).int("hits", n).toString()
 *   // {"code":"abc","hits":3}
 */
export class JSONObject {
  private body: string = "";

  /** Adds a string member. */
  str(name: string, value: string): JSONObject {
    return this.raw(name, jsonQuote(value));
  }

  /** Adds an integer member. */
  int(name: string, value: i64): JSONObject {
    return this.raw(name, value.toString());
  }

  /** Adds a number member (NaN and infinities, which JSON lacks, become null). */
  num(name: string, value: f64): JSONObject {
    return this.raw(name, isFinite(value) ? value.toString() : "null");
  }

  /** Adds a boolean member. */
  boolean(name: string, value: bool): JSONObject {
    return this.raw(name, value ? "true" : "false");
  }

  /** Adds a null member. */
  nil(name: string): JSONObject {
    return this.raw(name, "null");
  }

  /** Adds an array-of-strings member. */
  strs(name: string, values: string[]): JSONObject {
    return this.raw(name, jsonStrings(values));
  }

  /** Adds a member whose value is already JSON text (an object built apart). */
  raw(name: string, json: string): JSONObject {
    if (this.body.length > 0) this.body += ",";
    this.body += jsonQuote(name) + ":" + json;
    return this;
  }

  /** The object's JSON text. */
  toString(): string {
    return "{" + this.body + "}";
  }
}
