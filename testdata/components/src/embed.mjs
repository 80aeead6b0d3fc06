// embed.mjs embeds a WIT world into a core module (wasm-tools component
// embed, through jco's API), resolving the wasi:* packages the world uses
// from the WIT jco ships (lib/wit/builtin/0.2.12), so no WIT is vendored
// here. jco's `embed` command cannot read a WIT directory on this machine
// (its WASI shim fails to open it), so the packages are passed as one
// source, each as a nested package.
//
// Usage: node embed.mjs CORE.wasm WORLD.wit WORLD-NAME OUT.wasm PKG...
//   PKG: a directory name under builtin/0.2.12, such as wasi-sockets, or
//   the path of a .wit file holding one package (a WIT jco does not ship).
import { readFile, writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { createRequire } from "node:module";

const [core, worldFile, world, out, ...pkgs] = process.argv.slice(2);
const jcoDir = process.env.JCO_DIR;
const require = createRequire(join(jcoDir, "package.json"));
const jcoMain = require.resolve("@bytecodealliance/jco");
const { componentEmbed } = await import(jcoMain);
const builtin = join(dirname(dirname(jcoMain)), "lib", "wit", "builtin", "0.2.12");

let source = await readFile(worldFile, "utf8");
for (const pkg of pkgs) {
  const file = pkg.endsWith(".wit") ? pkg : join(builtin, pkg, "package.wit");
  const text = (await readFile(file, "utf8")).replace(/^\/\/.*$/gm, "");
  source += "\n" + text.replace(/^package ([^;]+);/m, "package $1 {") + "\n}\n";
}
const binary = await readFile(core);
const output = await componentEmbed({ binary, witSource: source, world });
await writeFile(out, output);
