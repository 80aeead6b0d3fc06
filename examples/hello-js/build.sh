#!/usr/bin/env bash
# build.sh builds hello.js into hello.wasm, a wasi:http/proxy component,
# with componentize-js (about 10 s; the output is about 13 MB):
#
#   examples/hello-js/build.sh   (from anywhere)
#
# It installs jco and componentize-js first (scripts/install-jco.sh, pinned
# by tools/jco/package-lock.json). The WIT is jco's bundled WASI 0.2.12
# re-versioned to 0.2.10 in a temporary directory: the StarlingMonkey
# engine inside componentize-js exports wasi:http/incoming-handler@0.2.10,
# so the world must name that version.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$root/scripts/install-jco.sh" >/dev/null

builtin="$root/tools/jco/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for pkg in "$builtin"/*/; do
	name="$(basename "$pkg")"
	mkdir -p "$work/wit/deps/$name"
	sed 's/@0\.2\.12/@0.2.10/g' "$pkg/package.wit" >"$work/wit/deps/$name/package.wit"
done
cat >"$work/wit/world.wit" <<'WIT'
package wisp:hello-js;

world hello {
  export wasi:http/incoming-handler@0.2.10;
}
WIT

node "$here/componentize.mjs" "$root/tools/jco" "$here/hello.js" "$work/wit" hello "$here/hello.wasm"
echo "build.sh: wrote $here/hello.wasm ($(wc -c <"$here/hello.wasm") bytes)"
