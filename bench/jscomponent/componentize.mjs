// componentize.mjs builds hello.js into a wasi:http component with the
// componentize-js that scripts/install-jco.sh installed (bench/jscomponent
// runs it):
//
//   node componentize.mjs /abs/tools/jco /abs/hello.js /abs/wit WORLD /abs/out.wasm
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const [jco, source, wit, world, out] = process.argv.slice(2);
if (!out) {
  console.error("usage: node componentize.mjs TOOLS_JCO SOURCE.js WIT_DIR WORLD OUT.wasm (absolute paths)");
  process.exit(2);
}
const entry = join(jco, "node_modules/@bytecodealliance/componentize-js/src/componentize.js");
const { componentize } = await import(pathToFileURL(entry).href);
const { component } = await componentize({ sourcePath: source, witPath: wit, worldName: world });
writeFileSync(out, component);
