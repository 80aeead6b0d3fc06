// Tests of the AssemblyScript SDK: test/fixture.ts is compiled with the
// SDK's asconfig.json and run under Node's WASI against a fake Wisp host
// (host.mjs); the committed example examples/links-as/links.wasm is run
// through the links contract the same way.
//
// Run: npm test (in guest/assemblyscript, after scripts/install-assemblyscript.sh).

import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeHost, cgiEnv, parseCGI } from "./host.mjs";

const sdk = join(dirname(fileURLToPath(import.meta.url)), "..");
const repo = join(sdk, "..", "..");
const asc = join(sdk, "node_modules", ".bin", "asc");

let work;
let fixture;
let command;

// build compiles src (relative to the SDK) with the SDK's options and extra
// asc flags into a module.
function build(src, name, ...flags) {
  const out = join(work, name);
  const r = spawnSync(asc, [src, "--config", "test/asconfig.json", "-o", out, ...flags], { cwd: sdk, encoding: "utf8" });
  assert.equal(r.status, 0, `asc ${src} failed:\n${r.stdout}${r.stderr}`);
  return new WebAssembly.Module(readFileSync(out));
}

before(() => {
  assert.ok(existsSync(asc), `${asc} is missing: run scripts/install-assemblyscript.sh`);
  work = mkdtempSync(join(tmpdir(), "wisp-as-build-"));
  fixture = build("test/fixture.ts", "fixture.wasm");
  command = build("test/command.ts", "command.wasm", "--exportStart", "_start");
});

after(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

// imports returns "module.name" of every import of mod.
function imports(mod) {
  return WebAssembly.Module.imports(mod).map((i) => `${i.module}.${i.name}`);
}

test("modules import only WASI preview 1 and the Wisp modules, and are reactors", () => {
  const example = new WebAssembly.Module(readFileSync(join(repo, "examples", "links-as", "links.wasm")));
  for (const [name, mod] of [["fixture", fixture], ["links.wasm", example]]) {
    for (const imp of imports(mod)) {
      assert.match(imp, /^(wasi_snapshot_preview1|wisp:[a-z]+\/[a-z-]+@1)\./, `${name} imports ${imp}`);
    }
    const exports = WebAssembly.Module.exports(mod).map((e) => e.name).sort();
    assert.deepEqual(exports, ["_initialize", "memory", "wisp_handle"], `${name} exports`);
  }
});

test("request: method, path, query decoding, headers, body, form", async () => {
  const host = new FakeHost();
  const env = cgiEnv("POST", "/app", "/echo", "a=1&b=x%20y&b=2&c+d=e+f&&bad=%zz",
    { "X-Test": "hi there", "Content-Type": "application/x-www-form-urlencoded", "Accept-Language": "fr" },
    { GREETING: "from env" });
  const out = await host.run(fixture, env, "f=caf%C3%A9+au+lait&g=2");
  assert.equal(out.trapped, null, out.stderr);
  const r = parseCGI(out.stdout);
  assert.equal(r.status, 200);
  assert.deepEqual(r.headers["content-type"], ["application/json"]);
  assert.deepEqual(r.headers["x-reply"], ["yes"]);
  const j = JSON.parse(r.body);
  assert.equal(j.method, "POST");
  assert.equal(j.scriptName, "/app");
  assert.equal(j.pathInfo, "/echo");
  assert.equal(j.path, "/app/echo");
  assert.equal(j.a, "1");
  assert.deepEqual(j.b, ["x y", "2"]);
  assert.equal(j.cd, "e f");
  assert.equal(j.missing, "<null>");
  assert.equal(j.xTest, "hi there");
  assert.equal(j.contentType, "application/x-www-form-urlencoded");
  assert.equal(j.nope, "<null>");
  assert.equal(j.f, "café au lait");
  assert.equal(j.body, "f=caf%C3%A9+au+lait&g=2");
  assert.equal(j.env, "from env");
  assert.deepEqual(j.headers, ["Accept-Language=fr", "Content-Type=application/x-www-form-urlencoded", "X-Test=hi there"]);
});

test("key-value: big values, absent keys, ttl, delete, increment, compare-and-swap, paging", async () => {
  const host = new FakeHost({ pageSize: 2 });
  const out = await host.run(fixture, cgiEnv("GET", "", "/kv"));
  assert.equal(out.trapped, null, out.stderr);
  const j = JSON.parse(parseCGI(out.stdout).body);
  assert.deepEqual(j, {
    setBig: true, bigRoundTrip: true, ttlSet: true, absent: "<null>", existsBig: true, existsAbsent: false,
    deleted: true, existsAfterDelete: false, inc1: 5, inc2: 6, nText: "6",
    casAbsent: true, casAbsentAgain: false, casWrongOld: false, casRightOld: true, c: "two",
    keys: ["p:0", "p:1", "p:2", "p:3", "p:4"], pageKeys: ["p:2", "p:3"], pageMore: true,
    badIncCode: 4, badIncMessage: 'invalid: the value of "c" is not a decimal integer',
    emptyKey: "invalid: a key must not be empty",
  });
  assert.equal(host.kv.get("ttl").ttl, 1500);
  assert.equal(host.kv.get("n").ttl, 0);
});

test("key-value: an undeclared store fails with the host's message", async () => {
  const out = await new FakeHost().run(fixture, cgiEnv("GET", "", "/kv-denied"));
  const j = JSON.parse(parseCGI(out.stdout).body);
  assert.deepEqual(j, { ok: false, code: 3, message: 'denied: store "other" is not declared: add it to key_value_stores in wisp.toml' });
});

test("config: values, long values, unset and undeclared variables", async () => {
  const host = new FakeHost({ vars: { greeting: "hi", long: "x".repeat(5000), unset: null } });
  const out = await host.run(fixture, cgiEnv("GET", "", "/config"));
  assert.equal(out.trapped, null, out.stderr);
  const j = JSON.parse(parseCGI(out.stdout).body);
  assert.deepEqual(j, {
    greeting: "hi", longLength: 5000, unset: "<null>",
    undeclaredCode: 3, undeclaredMessage: 'denied: variable "undeclared" is not declared in [variables]',
  });
});

test("logging: levels, context and NUL-separated fields", async () => {
  const host = new FakeHost();
  const out = await host.run(fixture, cgiEnv("GET", "", "/log"));
  assert.equal(out.trapped, null, out.stderr);
  assert.equal(parseCGI(out.stdout).body, "logged");
  assert.deepEqual(host.logs, [
    { level: 2, context: "", message: "hello", fields: ["k", "v", "odd", ""], rawFields: "k\0v\0odd\0\0" },
    { level: 3, context: "comp", message: "wx", fields: [], rawFields: "" },
    { level: 4, context: "", message: "no fields", fields: [], rawFields: "" },
  ]);
});

test("outbound: headers and body sent, response read in pieces, denials with the host's message", async () => {
  const host = new FakeHost({
    upstream: {
      "http://upstream.test/echo": { status: 203, headers: { "Content-Type": "text/x-test", "X-Up": "1" }, body: "y".repeat(2500) },
      "http://upstream.test/text": { status: 200, headers: {}, body: "héllo" },
    },
  });
  const out = await host.run(fixture, cgiEnv("GET", "", "/outbound"));
  assert.equal(out.trapped, null, out.stderr);
  const j = JSON.parse(parseCGI(out.stdout).body);
  assert.deepEqual(j, {
    status: 203, type: "text/x-test", absentHeader: "<null>", headers: "Content-Type: text/x-test\nX-Up: 1\n",
    bodyLength: 2500, deniedCode: 3, deniedMessage: "denied: http://169.254.169.254/ is not allowed by allowed_outbound_hosts",
    badHeaderCode: 4, text: "héllo",
  });
  assert.deepEqual(host.sent[0], { method: "POST", url: "http://upstream.test/echo", headers: "X-One: 1\nAccept: text/plain\n", body: "ping" });
  // The header with CR LF never reached the host.
  assert.deepEqual(host.sent.map((s) => s.url), ["http://upstream.test/echo", "http://169.254.169.254/", "http://upstream.test/text"]);
  assert.deepEqual(host.closed, [1]);
});

test("response: flush sends the header once, then writes stream", async () => {
  const out = await new FakeHost().run(fixture, cgiEnv("GET", "", "/stream"));
  assert.equal(out.trapped, null, out.stderr);
  assert.equal(out.stdout, "Status: 201\nContent-Type: text/event-stream\n\nfirst\nsecond\nthird\n");
});

test("response: a handler that writes nothing still answers", async () => {
  const out = await new FakeHost().run(fixture, cgiEnv("GET", "", "/silent"));
  assert.equal(out.stdout, "Status: 200\nContent-Type: text/plain; charset=utf-8\n\n");
});

test("response: a header value with a newline aborts instead of injecting", async () => {
  const out = await new FakeHost().run(fixture, cgiEnv("GET", "", "/bad-header"));
  assert.notEqual(out.trapped, null);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr, "abort: response header X-Bad has a control character in its value\n");
});

test("abort writes its message (and, from the runtime, the place) to stderr and traps", async () => {
  const out = await new FakeHost().run(fixture, cgiEnv("GET", "", "/abort"));
  assert.notEqual(out.trapped, null);
  assert.equal(out.stdout, "");
  assert.equal(out.stderr, "abort: boom\n");
  const range = await new FakeHost().run(fixture, cgiEnv("GET", "", "/range"));
  assert.notEqual(range.trapped, null);
  assert.match(range.stderr, /^abort: Index out of range at ~lib\/array\.ts:\d+:\d+\n$/);
});

test("json: quoting and members", async () => {
  const out = await new FakeHost().run(fixture, cgiEnv("GET", "", "/json"));
  const body = parseCGI(out.stdout).body;
  assert.equal(body, '{"s":"q\\"b\\\\n\\n\\t\\u0001é","i":-42,"f":1.5,"nan":null,"t":true,"z":null,"a":["x","y"]}');
  assert.deepEqual(JSON.parse(body).s, 'q"b\\n\n\t\x01é');
});

test("runtime: console goes to stderr, Math.random and Date.now work through WASI", async () => {
  const out = await new FakeHost().run(fixture, cgiEnv("GET", "", "/runtime"));
  assert.equal(out.trapped, null, out.stderr);
  assert.equal(out.stderr, "console goes to stderr\n");
  assert.deepEqual(JSON.parse(parseCGI(out.stdout).body), { random: true, date: true, nanos: true, quoted: '"x"' });
});

test("a command module (_start) serves from its top level", async () => {
  const exports = WebAssembly.Module.exports(command).map((e) => e.name).sort();
  assert.deepEqual(exports, ["_start", "memory"]);
  for (const imp of imports(command)) assert.match(imp, /^wasi_snapshot_preview1\./);
  const out = await new FakeHost().run(command, cgiEnv("GET", "/c", "/x"), "", { command: true });
  assert.equal(out.trapped, null, out.stderr);
  assert.equal(out.stdout, "Status: 200\nContent-Type: text/plain; charset=utf-8\n\ncommand GET /x");
});

test("the SDK imports by package name from node_modules/wisp-as", async () => {
  const app = join(work, "pkg");
  mkdirSync(join(app, "node_modules"), { recursive: true });
  symlinkSync(sdk, join(app, "node_modules", "wisp-as"));
  writeFileSync(join(app, "asconfig.json"), JSON.stringify({ extends: "./node_modules/wisp-as/asconfig.json" }));
  writeFileSync(join(app, "app.ts"), [
    'import { serve, Request, Response } from "wisp-as";',
    "export function wisp_handle(): void {",
    '  serve((req: Request, res: Response): void => { res.text(200, "pkg " + req.method); });',
    "}",
  ].join("\n"));
  const r = spawnSync(asc, ["app.ts", "--config", "asconfig.json", "-o", "app.wasm"], { cwd: app, encoding: "utf8" });
  assert.equal(r.status, 0, `asc failed:\n${r.stdout}${r.stderr}`);
  const mod = new WebAssembly.Module(readFileSync(join(app, "app.wasm")));
  const out = await new FakeHost().run(mod, cgiEnv("PUT", "", ""));
  assert.equal(out.stdout, "Status: 200\nContent-Type: text/plain; charset=utf-8\n\npkg PUT");
});
