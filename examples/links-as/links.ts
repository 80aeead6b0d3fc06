// links-as: a tiny link shortener written with Wisp's AssemblyScript SDK.
// It keeps links in the "default" key-value store, reads a variable
// (greeting) and a secret (admin_token), logs through the logging service
// and checks a link with an outbound request. README.md has the routes.

import {
  serve, Request, Response, Store, config, log, outbound, JSONObject,
} from "../../guest/assemblyscript/assembly/index";

// Keys are namespaced by language, so the links apps in every language can
// share the "default" store.
const LINK_PREFIX = "as:link:";
const HITS_PREFIX = "as:hits:";

/** The request handler; the node calls it once per request (a reactor). */
export function wisp_handle(): void {
  serve(handle);
}

function handle(req: Request, res: Response): void {
  let path = req.pathInfo;
  if (path.startsWith("/")) path = path.substring(1);
  if (path.endsWith("/")) path = path.substring(0, path.length - 1);
  if (path.length == 0) {
    if (!allow(req, res, "GET")) return;
    index(res);
    return;
  }
  const parts = path.split("/");
  const code = parts[0];
  if (parts.length == 1) {
    if (req.method == "PUT") {
      save(req, res, code);
      return;
    }
    if (!allow(req, res, "GET, PUT")) return;
    follow(req, res, code);
    return;
  }
  if (parts.length == 2 && parts[1] == "stats") {
    if (!allow(req, res, "GET")) return;
    stats(res, code);
    return;
  }
  if (parts.length == 2 && parts[1] == "check") {
    if (!allow(req, res, "GET")) return;
    check(res, code);
    return;
  }
  fail(res, 404, "no route " + req.path);
}

// GET /links-as: the greeting and every code, sorted.
function index(res: Response): void {
  const greeting = config.get("greeting");
  const gerr = greeting.error;
  if (gerr !== null) return fail(res, 500, gerr.message);
  const store = openStore(res);
  if (store === null) return;
  const keys = store.keys(LINK_PREFIX);
  const kerr = keys.error;
  if (kerr !== null) return fail(res, 500, kerr.message);
  const codes = new Array<string>();
  for (let i = 0; i < keys.value.length; i++) {
    codes.push(keys.value[i].substring(LINK_PREFIX.length));
  }
  codes.sort((a: string, b: string): i32 => (a < b ? -1 : a > b ? 1 : 0));
  const g = greeting.value;
  res.json(200, new JSONObject().str("greeting", g !== null ? g : "").strs("links", codes).toString());
}

// PUT /links-as/<code>: saves the body as the link's URL (admin only).
function save(req: Request, res: Response, code: string): void {
  const token = config.get("admin_token");
  const terr = token.error;
  if (terr !== null) return fail(res, 500, terr.message);
  const want = token.value;
  if (want === null || want.length == 0) {
    return fail(res, 503, "set the admin_token secret: wisp secret set links-as admin_token");
  }
  const auth = req.header("Authorization");
  if (auth === null || !sameText(auth, "Bearer " + want)) return fail(res, 401, "unauthorized");
  if (!validCode(code)) return fail(res, 400, "the code must be 1 to 64 letters, digits, '_' or '-'");
  const url = req.text().trim();
  if (url.length == 0 || hasControl(url)) {
    return fail(res, 400, "the body must be the target URL, on one line");
  }
  const store = openStore(res);
  if (store === null) return;
  const serr = store.setString(LINK_PREFIX + code, url);
  if (serr !== null) return fail(res, 500, serr.message);
  log.info("link saved", ["code", code]);
  res.json(201, new JSONObject().str("code", code).str("url", url).toString());
}

// GET /links-as/<code>: redirects to the link and counts the hit (a HEAD
// gets the same answer without counting).
function follow(req: Request, res: Response, code: string): void {
  const url = lookup(res, code);
  if (url === null) return;
  if (req.method == "GET") {
    const store = openStore(res);
    if (store === null) return;
    const hits = store.increment(HITS_PREFIX + code, 1);
    const herr = hits.error;
    if (herr !== null) log.warn("hit not counted", ["code", code, "error", herr.message]);
  }
  res.redirect(url, 302);
}

// GET /links-as/<code>/stats: the link and its hit count.
function stats(res: Response, code: string): void {
  const url = lookup(res, code);
  if (url === null) return;
  const store = openStore(res);
  if (store === null) return;
  const hits = store.getString(HITS_PREFIX + code);
  const herr = hits.error;
  if (herr !== null) return fail(res, 500, herr.message);
  const h = hits.value;
  const n: i64 = h !== null ? I64.parseInt(h, 10) : 0;
  res.json(200, new JSONObject().str("code", code).str("url", url).int("hits", n).toString());
}

// GET /links-as/<code>/check: fetches the link through the outbound service.
function check(res: Response, code: string): void {
  const url = lookup(res, code);
  if (url === null) return;
  const sent = outbound.get(url);
  const serr = sent.error;
  if (serr !== null) return fail(res, 502, serr.message);
  const upstream = sent.value;
  const body = upstream.bytes();
  upstream.close();
  const berr = body.error;
  if (berr !== null) return fail(res, 502, berr.message);
  res.json(200, new JSONObject().str("code", code).int("status", upstream.status).int("bytes", body.value.length).toString());
}

// lookup is the URL of code, or null after answering 404 (or 500).
function lookup(res: Response, code: string): string | null {
  if (!validCode(code)) {
    fail(res, 404, "no link " + code);
    return null;
  }
  const store = openStore(res);
  if (store === null) return null;
  const got = store.getString(LINK_PREFIX + code);
  const err = got.error;
  if (err !== null) {
    fail(res, 500, err.message);
    return null;
  }
  const url = got.value;
  if (url === null) {
    fail(res, 404, "no link " + code);
    return null;
  }
  return url;
}

// openStore opens "default", or answers 500 with the host's reason.
function openStore(res: Response): Store | null {
  const opened = Store.open("default");
  const err = opened.error;
  if (err !== null) {
    fail(res, 500, err.message);
    return null;
  }
  return opened.value;
}

// allow answers 405 unless the method is one of methods (HEAD counts as GET).
function allow(req: Request, res: Response, methods: string): bool {
  const m = req.method == "HEAD" ? "GET" : req.method;
  const list = methods.split(", ");
  if (list.includes(m)) return true;
  res.setHeader("Allow", methods);
  fail(res, 405, "method " + req.method + " not allowed here; use " + methods);
  return false;
}

function fail(res: Response, status: i32, message: string): void {
  res.json(status, new JSONObject().str("error", message).toString());
}

// validCode reports whether code matches [A-Za-z0-9_-]{1,64}.
function validCode(code: string): bool {
  if (code.length < 1 || code.length > 64) return false;
  for (let i = 0; i < code.length; i++) {
    const c = code.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c == 0x5f || c == 0x2d;
    if (!ok) return false;
  }
  return true;
}

function hasControl(s: string): bool {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c == 0x7f) return true;
  }
  return false;
}

// sameText compares in time that depends only on the lengths, so the
// token cannot be guessed one character at a time from response times.
function sameText(a: string, b: string): bool {
  if (a.length != b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff == 0;
}
