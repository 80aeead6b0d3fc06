#!/usr/bin/env bash
# build.sh builds jsprobe.js into ../extra/jsprobe.wasm, a wasi:http
# component, with componentize-js (installed by scripts/install-jco.sh),
# as examples/hello-js/build.sh builds the JavaScript example: the WIT is
# jco's WASI 0.2.12 re-versioned to 0.2.10, the version StarlingMonkey
# exports, and the world only exports wasi:http/incoming-handler.
#
# Usage: testdata/components/jsprobe/build.sh   (from anywhere)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
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
package wisp:jsprobe;

world jsprobe {
  export wasi:http/incoming-handler@0.2.10;
}
WIT

out="$root/testdata/components/extra/jsprobe.wasm"
node "$root/examples/hello-js/componentize.mjs" "$root/tools/jco" "$here/jsprobe.js" "$work/wit" jsprobe "$out"
echo "build.sh: wrote $out ($(wc -c <"$out") bytes)"
