// The `wisp new assemblyscript` template (guest/templates/assemblyscript),
// rendered the way guest/sdk.go renders it (".tmpl" files with {{name}}
// replaced, the template.txt "sdk:" lines' files copied in), built with its
// build.sh (ASC set to the compiler scripts/install-assemblyscript.sh
// installed, so no npm install), and run against the fake host.
// internal/cli's tests cover `wisp new` itself.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  mkdtempSync, readFileSync, writeFileSync, readdirSync, mkdirSync, copyFileSync, chmodSync, rmSync, symlinkSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname, basename } from "node:path";
import { fileURLToPath } from "node:url";
import { FakeHost, cgiEnv, parseCGI } from "./host.mjs";

const guest = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const tpl = join(guest, "templates", "assemblyscript");
const asc = join(guest, "assemblyscript", "node_modules", ".bin", "asc");

// matches reports whether name matches a pattern whose "*" stands for any
// run of characters but "/" (all the template's patterns need).
function matches(pattern, name) {
  const re = new RegExp("^" + pattern.split("*").map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&")).join("[^/]*") + "$");
  return re.test(name);
}

// render writes the project of app name into dir.
function render(dir, name) {
  for (const f of readdirSync(tpl)) {
    if (f === "template.txt") continue;
    let data = readFileSync(join(tpl, f));
    let out = f;
    if (f.endsWith(".tmpl")) {
      out = f.slice(0, -".tmpl".length);
      data = Buffer.from(data.toString("utf8").replaceAll("{{name}}", name));
    }
    writeFileSync(join(dir, out), data);
    if (out.endsWith(".sh")) chmodSync(join(dir, out), 0o755);
  }
  const lines = readFileSync(join(tpl, "template.txt"), "utf8").split("\n");
  let copied = 0;
  for (const line of lines) {
    const m = /^sdk:\s*(\S+)\s+(\S+)\s*$/.exec(line.trim());
    if (!m) continue;
    const [, pattern, to] = m;
    const from = dirname(pattern);
    mkdirSync(join(dir, to), { recursive: true });
    for (const f of readdirSync(join(guest, from))) {
      if (matches(basename(pattern), f)) {
        copyFileSync(join(guest, from, f), join(dir, to, f));
        copied++;
      }
    }
  }
  return copied;
}

test("the assemblyscript template builds with its build.sh and answers", async () => {
  const work = mkdtempSync(join(tmpdir(), "wisp-as-template-"));
  try {
    const project = join(work, "my-app");
    mkdirSync(project);
    const copied = render(project, "my-app");
    assert.ok(copied >= 12, `only ${copied} SDK files copied`);
    const toml = readFileSync(join(project, "wisp.toml"), "utf8");
    assert.match(toml, /^name = "my-app"$/m);
    assert.match(toml, /^module = "my-app.wasm"$/m);

    // From another directory, as a user may run it.
    const r = spawnSync(join(project, "build.sh"), [], { cwd: work, encoding: "utf8", env: { ...process.env, ASC: asc } });
    assert.equal(r.status, 0, `build.sh failed:\n${r.stdout}${r.stderr}`);
    assert.match(r.stdout, /built my-app\.wasm/);
    const mod = new WebAssembly.Module(readFileSync(join(project, "my-app.wasm")));
    for (const i of WebAssembly.Module.imports(mod)) {
      assert.match(`${i.module}.${i.name}`, /^(wasi_snapshot_preview1|wisp:[a-z]+\/[a-z-]+@1)\./);
    }

    const host = new FakeHost({ vars: { greeting: "Hello" } });
    for (const n of [1, 2]) {
      const out = await host.run(mod, cgiEnv("GET", "/my-app", ""));
      assert.equal(out.trapped, null, out.stderr);
      const res = parseCGI(out.stdout);
      assert.equal(res.status, 200);
      assert.equal(res.body, `Hello from my-app! Visit number ${n}.\n`);
    }
    assert.equal(new TextDecoder().decode(host.kv.get("my-app:visits").value), "2");
    assert.deepEqual(host.logs[1].fields, ["path", "/my-app", "visits", "2"]);

    // Without node, npm or ASC, build.sh says what to install.
    const bin = join(work, "bin");
    mkdirSync(bin);
    symlinkSync(spawnSync("sh", ["-c", "command -v dirname"], { encoding: "utf8" }).stdout.trim(), join(bin, "dirname"));
    rmSync(join(project, "my-app.wasm"));
    const bare = spawnSync("/bin/sh", [join(project, "build.sh")], { encoding: "utf8", env: { PATH: bin } });
    assert.notEqual(bare.status, 0);
    assert.match(bare.stderr, /node and npm not found: install Node\.js 20 or later/);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
