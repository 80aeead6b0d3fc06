// componentize.mjs builds a JavaScript fetch-event handler into a
// wasi:http/proxy component with the componentize-js that build.sh
// installed into ./node_modules:
//
//   node componentize.mjs SOURCE.js OUT.wasm
//
// The WIT is the WASI 0.2.12 snapshot bundled with jco (a dependency in
// package.json), re-versioned to 0.2.10 in a temporary directory: the
// StarlingMonkey engine inside componentize-js exports
// wasi:http/incoming-handler@0.2.10, so the world must name that version.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const [source, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node componentize.mjs SOURCE.js OUT.wasm");
  process.exit(2);
}
const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules", "@bytecodealliance");
const builtin = join(modules, "jco", "lib", "wit", "builtin", "0.2.12");
const entry = join(modules, "componentize-js", "src", "componentize.js");

const work = mkdtempSync(join(tmpdir(), "componentize-"));
try {
  const wit = join(work, "wit");
  for (const pkg of readdirSync(builtin)) {
    const dir = join(wit, "deps", pkg);
    mkdirSync(dir, { recursive: true });
    const text = readFileSync(join(builtin, pkg, "package.wit"), "utf8");
    writeFileSync(join(dir, "package.wit"), text.replaceAll("@0.2.12", "@0.2.10"));
  }
  writeFileSync(
    join(wit, "world.wit"),
    "package wisp:app;\n\nworld app {\n  export wasi:http/incoming-handler@0.2.10;\n}\n",
  );
  const { componentize } = await import(pathToFileURL(entry).href);
  const { component } = await componentize({
    sourcePath: resolve(source),
    witPath: wit,
    worldName: "app",
  });
  writeFileSync(resolve(out), component);
} finally {
  rmSync(work, { recursive: true, force: true });
}
