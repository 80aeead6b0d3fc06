// The SDK's test module: one reactor whose PATH_INFO picks a scenario.
// sdk.test.mjs runs it under Node's WASI with a fake Wisp host (host.mjs)
// and checks its CGI output and the calls the host saw.

import {
  serve, Request, Response, Store, config, log, Logger, outbound, JSONObject, jsonQuote, nowNanos,
} from "../assembly/index";

export function wisp_handle(): void {
  serve(handle);
}

function handle(req: Request, res: Response): void {
  const p = req.pathInfo;
  if (p == "/echo") echo(req, res);
  else if (p == "/kv") kv(res);
  else if (p == "/kv-denied") kvDenied(res);
  else if (p == "/config") configs(res);
  else if (p == "/log") logs(res);
  else if (p == "/outbound") calls(res);
  else if (p == "/stream") stream(res);
  else if (p == "/abort") abort("boom");
  else if (p == "/range") res.write([1, 2][req.queryString.length + 5].toString());
  else if (p == "/bad-header") res.setHeader("X-Bad", "a\nStatus: 200");
  else if (p == "/json") res.json(200, new JSONObject().str("s", "q\"b\\n\n\t\x01é").int("i", -42).num("f", 1.5).num("nan", NaN).boolean("t", true).nil("z").strs("a", ["x", "y"]).toString());
  else if (p == "/runtime") runtime(res);
  else if (p == "/silent") {
    // Nothing written: serve still sends a complete (empty) answer.
  } else res.json(404, new JSONObject().str("error", "no scenario " + p).toString());
}

function echo(req: Request, res: Response): void {
  const o = new JSONObject()
    .str("method", req.method)
    .str("scriptName", req.scriptName)
    .str("pathInfo", req.pathInfo)
    .str("path", req.path)
    .str("queryString", req.queryString)
    .str("a", orNull(req.query("a")))
    .strs("b", req.queryAll("b"))
    .str("cd", orNull(req.query("c d")))
    .str("missing", orNull(req.query("missing")))
    .str("xTest", orNull(req.header("x-test")))
    .str("contentType", orNull(req.header("Content-Type")))
    .str("nope", orNull(req.header("X-Nope")))
    .str("f", orNull(req.form("f")))
    .str("body", req.text())
    .str("env", orNull(req.getenv("GREETING")));
  const hs = req.headers();
  const names = new Array<string>();
  for (let i = 0; i < hs.length; i++) names.push(hs[i].name + "=" + hs[i].value);
  names.sort();
  o.strs("headers", names);
  res.setHeader("X-Reply", "yes");
  res.json(200, o.toString());
}

function orNull(s: string | null): string {
  return s !== null ? s : "<null>";
}

function kv(res: Response): void {
  const o = new JSONObject();
  const store = Store.open("default").unwrap();
  // A value larger than the first buffer (1 KiB) takes the BUFFER_TOO_SMALL path.
  const big = new Uint8Array(3000);
  for (let i = 0; i < big.length; i++) big[i] = <u8>(i % 251);
  o.boolean("setBig", store.set("big", big) === null);
  const got = store.get("big").unwrap();
  let same = got !== null && got.length == big.length;
  if (got !== null && same) {
    for (let i = 0; i < big.length; i++) if (got[i] != big[i]) same = false;
  }
  o.boolean("bigRoundTrip", same);
  o.boolean("ttlSet", store.setString("ttl", "x", 1500) === null);
  o.str("absent", orNull(store.getString("absent").unwrap()));
  o.boolean("existsBig", store.exists("big").unwrap());
  o.boolean("existsAbsent", store.exists("absent").unwrap());
  o.boolean("deleted", store.delete("big") === null);
  o.boolean("existsAfterDelete", store.exists("big").unwrap());
  o.int("inc1", store.increment("n", 5).unwrap());
  o.int("inc2", store.increment("n").unwrap());
  o.str("nText", orNull(store.getString("n").unwrap()));
  o.boolean("casAbsent", store.compareAndSwapString("c", null, "one").unwrap());
  o.boolean("casAbsentAgain", store.compareAndSwapString("c", null, "two").unwrap());
  o.boolean("casWrongOld", store.compareAndSwapString("c", "zzz", "two").unwrap());
  o.boolean("casRightOld", store.compareAndSwapString("c", "one", "two").unwrap());
  o.str("c", orNull(store.getString("c").unwrap()));
  for (let i = 0; i < 5; i++) store.setString("p:" + i.toString(), "v");
  o.strs("keys", store.keys("p:").unwrap());
  const page = store.listKeys("p:", "p:1").unwrap();
  o.strs("pageKeys", page.keys);
  o.boolean("pageMore", page.more);
  const badInc = store.increment("c", 1);
  o.int("badIncCode", badInc.error !== null ? badInc.error!.code : 0);
  o.str("badIncMessage", badInc.error !== null ? badInc.error!.message : "<none>");
  const empty = store.setString("", "x");
  o.str("emptyKey", empty !== null ? empty.message : "<none>");
  res.json(200, o.toString());
}

function kvDenied(res: Response): void {
  const r = Store.open("other");
  const err = r.error;
  res.json(200, new JSONObject()
    .boolean("ok", r.ok)
    .int("code", err !== null ? err.code : 0)
    .str("message", err !== null ? err.message : "<none>").toString());
}

function configs(res: Response): void {
  const o = new JSONObject();
  o.str("greeting", orNull(config.get("greeting").unwrap()));
  o.int("longLength", orNull(config.get("long").unwrap()).length);
  o.str("unset", orNull(config.get("unset").unwrap()));
  const d = config.get("undeclared");
  o.int("undeclaredCode", d.error !== null ? d.error!.code : 0);
  o.str("undeclaredMessage", d.error !== null ? d.error!.message : "<none>");
  res.json(200, o.toString());
}

function logs(res: Response): void {
  log.info("hello", ["k", "v", "odd"]);
  new Logger("comp").warn("w\0x");
  log.error("no fields");
  res.text(200, "logged");
}

function calls(res: Response): void {
  const o = new JSONObject();
  const body = Uint8Array.wrap(String.UTF8.encode("ping"));
  const r = outbound.send("POST", "http://upstream.test/echo", ["X-One", "1", "Accept", "text/plain"], body).unwrap();
  o.int("status", r.status);
  o.str("type", orNull(r.header("content-type").unwrap()));
  o.str("absentHeader", orNull(r.header("x-absent").unwrap()));
  o.str("headers", r.headers().unwrap());
  o.int("bodyLength", r.bytes().unwrap().length);
  r.close();
  r.close();
  const denied = outbound.get("http://169.254.169.254/");
  o.int("deniedCode", denied.error !== null ? denied.error!.code : 0);
  o.str("deniedMessage", denied.error !== null ? denied.error!.message : "<none>");
  const bad = outbound.send("GET", "http://upstream.test/", ["X-Evil", "a\r\nHost: other"]);
  o.int("badHeaderCode", bad.error !== null ? bad.error!.code : 0);
  const text = outbound.get("http://upstream.test/text").unwrap().text().unwrap();
  o.str("text", text);
  res.json(200, o.toString());
}

function stream(res: Response): void {
  res.status = 201;
  res.setHeader("Content-Type", "text/event-stream");
  res.write("first\n");
  res.flush();
  res.write("second\n");
  res.writeBytes(Uint8Array.wrap(String.UTF8.encode("third\n")));
}

function runtime(res: Response): void {
  console.log("console goes to stderr");
  const r = Math.random();
  const now = Date.now();
  res.json(200, new JSONObject()
    .boolean("random", r >= 0 && r < 1)
    .boolean("date", now > 1600000000000)
    .boolean("nanos", nowNanos() > 1600000000000000000)
    .str("quoted", jsonQuote("x")).toString());
}
