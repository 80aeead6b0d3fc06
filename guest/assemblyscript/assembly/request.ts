// The request, read the CGI way: metadata from the environment (WASI
// environ_get, read when the request is handled, never during _initialize),
// the body from stdin.

import { readEnviron, readAll, STDIN } from "./wasi";
import { Param, parseQuery, firstValue, allValues } from "./url";

/**
 * One HTTP request. serve builds it from the CGI environment; the body is
 * read from stdin the first time body, text or form is called, and kept.
 */
export class Request {
  /** The CGI environment: every variable, the app's [env] included. */
  readonly env: Map<string, string>;
  /** The method: "GET", "PUT"... (REQUEST_METHOD). */
  readonly method: string;
  /** The route's prefix the request matched ("/links-as"; SCRIPT_NAME). */
  readonly scriptName: string;
  /**
   * The decoded path after the route's prefix ("/abc", or "" for the
   * prefix itself; PATH_INFO).
   */
  readonly pathInfo: string;
  /** The raw query string, without "?" (QUERY_STRING). */
  readonly queryString: string;

  private params: Param[] | null = null;
  private bodyBytes: Uint8Array | null = null;
  private bodyErrno: u16 = 0;

  /** A request from env (use Request.fromEnvironment for the real one). */
  constructor(env: Map<string, string>) {
    this.env = env;
    this.method = getOr(env, "REQUEST_METHOD", "GET");
    this.scriptName = getOr(env, "SCRIPT_NAME", "");
    this.pathInfo = getOr(env, "PATH_INFO", "");
    this.queryString = getOr(env, "QUERY_STRING", "");
  }

  /** The request being handled, from WASI environ_get. */
  static fromEnvironment(): Request {
    return new Request(readEnviron());
  }

  /** The whole request path: scriptName + pathInfo. */
  get path(): string {
    return this.scriptName + this.pathInfo;
  }

  /** An environment variable, or null if it is not set. */
  getenv(name: string): string | null {
    return this.env.has(name) ? this.env.get(name) : null;
  }

  /**
   * A request header by name, case-insensitive ("authorization"), or null.
   * Content-Type and Content-Length come from CONTENT_TYPE and
   * CONTENT_LENGTH, the others from HTTP_*; the gateway joins repeated
   * headers with ", ". Hop-by-hop and Proxy headers never reach the app.
   */
  header(name: string): string | null {
    const upper = name.toUpperCase().replaceAll("-", "_");
    if (upper == "CONTENT_TYPE" || upper == "CONTENT_LENGTH") return this.getenv(upper);
    return this.getenv("HTTP_" + upper);
  }

  /**
   * Every request header as (name, value), names spelled as in HTTP
   * ("Accept-Language"), Content-Type and Content-Length included when set.
   */
  headers(): Param[] {
    const out = new Array<Param>();
    const keys = this.env.keys();
    for (let i = 0; i < keys.length; i++) {
      const k = keys[i];
      if (k.startsWith("HTTP_")) {
        out.push(new Param(headerName(k.substring(5)), this.env.get(k)));
      } else if ((k == "CONTENT_TYPE" || k == "CONTENT_LENGTH") && this.env.get(k).length > 0) {
        out.push(new Param(headerName(k), this.env.get(k)));
      }
    }
    return out;
  }

  /** Every query parameter, decoded, in order. */
  queryParams(): Param[] {
    let params = this.params;
    if (params === null) {
      params = parseQuery(this.queryString);
      this.params = params;
    }
    return params;
  }

  /** The first value of query parameter name, decoded, or null. */
  query(name: string): string | null {
    return firstValue(this.queryParams(), name);
  }

  /** Every value of query parameter name, decoded. */
  queryAll(name: string): string[] {
    return allValues(this.queryParams(), name);
  }

  /**
   * The body: all of stdin (the gateway has already applied the app's
   * max_body). Read once, then kept; bodyError says whether reading failed
   * part way.
   */
  body(): Uint8Array {
    let b = this.bodyBytes;
    if (b === null) {
      const r = readAll(STDIN);
      b = r.data;
      this.bodyBytes = b;
      this.bodyErrno = r.errno;
    }
    return b;
  }

  /** The WASI errno that cut reading the body short, or 0. */
  get bodyError(): u16 {
    this.body();
    return this.bodyErrno;
  }

  /** The body as UTF-8 text. */
  text(): string {
    const b = this.body();
    return String.UTF8.decodeUnsafe(b.dataStart, <usize>b.length);
  }

  /**
   * The fields of an application/x-www-form-urlencoded body, decoded; empty
   * for any other Content-Type.
   */
  formParams(): Param[] {
    const ct = this.header("Content-Type");
    if (ct === null || !ct.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      return new Array<Param>();
    }
    return parseQuery(this.text());
  }

  /** The first value of form field name (see formParams), or null. */
  form(name: string): string | null {
    return firstValue(this.formParams(), name);
  }
}

function getOr(env: Map<string, string>, name: string, fallback: string): string {
  return env.has(name) ? env.get(name) : fallback;
}

// headerName turns CGI's "ACCEPT_LANGUAGE" into "Accept-Language".
function headerName(cgi: string): string {
  const words = cgi.toLowerCase().split("_");
  for (let i = 0; i < words.length; i++) {
    const w = words[i];
    if (w.length > 0) words[i] = w.charAt(0).toUpperCase() + w.substring(1);
  }
  return words.join("-");
}
