// The committed example examples/links-as/links.wasm against the links
// contract (docs in examples/links-as/README.md), with the fake Wisp host
// of host.mjs. tests/sdk drives the same contract on a real node.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeHost, cgiEnv, parseCGI } from "./host.mjs";

const repo = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "..");
const links = new WebAssembly.Module(readFileSync(join(repo, "examples", "links-as", "links.wasm")));
const secret = "s3cr3t-t0ken";
const target = "http://127.0.0.1:9/page";

async function call(host, method, pathInfo, body = "", headers = {}) {
  const out = await host.run(links, cgiEnv(method, "/links-as", pathInfo, "", headers), body);
  assert.equal(out.trapped, null, `${method} ${pathInfo} trapped: ${out.stderr}`);
  assert.ok(!out.stdout.includes(secret) && !out.stderr.includes(secret), "the secret leaked");
  const r = parseCGI(out.stdout);
  if ((r.headers["content-type"] ?? [])[0] === "application/json") r.json = JSON.parse(r.body);
  return r;
}

test("links-as follows the links contract", async () => {
  const host = new FakeHost({
    vars: { greeting: "Welcome to links", admin_token: null },
    upstream: { [target]: { status: 200, headers: { "Content-Type": "text/plain" }, body: "hello from upstream" } },
  });
  const auth = { Authorization: "Bearer " + secret };

  let r = await call(host, "GET", "");
  assert.equal(r.status, 200);
  assert.deepEqual(r.json, { greeting: "Welcome to links", links: [] });
  assert.deepEqual((await call(host, "GET", "/")).json, r.json);

  r = await call(host, "PUT", "/up", target, auth);
  assert.deepEqual([r.status, r.json], [503, { error: "set the admin_token secret: wisp secret set links-as admin_token" }]);

  host.vars.admin_token = secret;
  for (const headers of [{}, { Authorization: "Bearer nope" }, { Authorization: secret }]) {
    r = await call(host, "PUT", "/up", target, headers);
    assert.deepEqual([r.status, r.json], [401, { error: "unauthorized" }]);
  }
  r = await call(host, "PUT", "/bad!code", target, auth);
  assert.equal(r.status, 400);
  r = await call(host, "PUT", "/" + "x".repeat(65), target, auth);
  assert.equal(r.status, 400);

  r = await call(host, "PUT", "/up", target, auth);
  assert.deepEqual([r.status, r.headers["content-type"], r.json], [201, ["application/json"], { code: "up", url: target }]);
  assert.equal(host.kv.has("as:link:up"), true);
  assert.deepEqual(host.logs.map((l) => [l.level, l.message, l.fields]), [[2, "link saved", ["code", "up"]]]);

  r = await call(host, "GET", "/up");
  assert.deepEqual([r.status, r.headers.location, r.headers["content-type"], r.body], [302, [target], undefined, ""]);
  r = await call(host, "HEAD", "/up");
  assert.deepEqual([r.status, r.headers.location], [302, [target]], "HEAD redirects without counting");
  r = await call(host, "GET", "/nope");
  assert.deepEqual([r.status, r.json], [404, { error: "no link nope" }]);

  r = await call(host, "GET", "/up/stats");
  assert.deepEqual([r.status, r.json], [200, { code: "up", url: target, hits: 1 }]);

  r = await call(host, "GET", "/up/check");
  assert.deepEqual([r.status, r.json], [200, { code: "up", status: 200, bytes: "hello from upstream".length }]);

  await call(host, "PUT", "/meta", "http://169.254.169.254/latest/meta-data/", auth);
  r = await call(host, "GET", "/meta/check");
  assert.deepEqual([r.status, r.json], [502, { error: "denied: http://169.254.169.254/latest/meta-data/ is not allowed by allowed_outbound_hosts" }]);

  await call(host, "PUT", "/A-z_9", target, auth);
  r = await call(host, "GET", "");
  assert.deepEqual(r.json, { greeting: "Welcome to links", links: ["A-z_9", "meta", "up"] });

  host.vars.greeting = "Hola";
  assert.equal((await call(host, "GET", "")).json.greeting, "Hola");

  r = await call(host, "DELETE", "/up");
  assert.deepEqual([r.status, r.headers.allow], [405, ["GET, PUT"]]);
  r = await call(host, "GET", "/up/other");
  assert.equal(r.status, 404);
});
