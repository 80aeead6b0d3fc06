// componentize-hello.mjs builds a tiny JavaScript wasi:http handler into a
// component with componentize-js, for tests that decode a real, large
// component (about 13 MB; never committed).
//
//   node tools/jco/componentize-hello.mjs /abs/out.wasm
//
// The WIT is jco's bundled WASI 0.2.12 snapshot re-versioned to 0.2.10 in
// a temporary directory: the StarlingMonkey engine componentize-js embeds
// exports wasi:http/incoming-handler@0.2.10, so the world must name 0.2.10.
// Paths are absolute: the tools do not resolve relative ones reliably.
import { componentize } from "@bytecodealliance/componentize-js";
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const out = process.argv[2];
if (!out) {
  console.error("usage: node componentize-hello.mjs /abs/out.wasm");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const builtin = join(here, "node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12");
const work = mkdtempSync(join(tmpdir(), "wisp-componentize-"));
try {
  const wit = join(work, "wit");
  for (const pkg of readdirSync(builtin)) {
    const dir = join(wit, "deps", pkg);
    mkdirSync(dir, { recursive: true });
    const text = readFileSync(join(builtin, pkg, "package.wit"), "utf8");
    writeFileSync(join(dir, "package.wit"), text.replaceAll("@0.2.12", "@0.2.10"));
  }
  writeFileSync(join(wit, "world.wit"),
    "package wisp:hello;\n\nworld hello {\n  export wasi:http/incoming-handler@0.2.10;\n}\n");
  const source = join(work, "hello.js");
  // The handler echoes the request: method, path, the x-echo header and
  // the body, so a host test can check both directions of wasi:http.
  writeFileSync(source, [
    'addEventListener("fetch", (event) => event.respondWith((async () => {',
    '  const req = event.request;',
    '  const body = req.method === "GET" ? "" : await req.text();',
    '  const path = new URL(req.url).pathname;',
    '  const echo = req.headers.get("x-echo") || "";',
    '  return new Response(`hello from JavaScript\\n${req.method} ${path} ${echo}\\n${body}`, {',
    '    status: req.method === "POST" ? 201 : 200,',
    '    headers: { "content-type": "text/plain", "x-method": req.method },',
    '  });',
    '})()));',
    '',
  ].join("\n"));
  const { component } = await componentize({ sourcePath: source, witPath: wit, worldName: "hello" });
  writeFileSync(resolve(out), component);
  console.log(`componentize-hello: wrote ${out} (${component.length} bytes)`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
