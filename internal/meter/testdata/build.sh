#!/usr/bin/env bash
# build.sh rebuilds the rewriter's test inputs from their .wat sources with
# wat2wasm (wabt; scripts/install-toolchain.sh installs it). The .wasm
# files are committed; after changing one, run go test -update in
# internal/meter and review the golden diff.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"
for f in *.wat; do
	case $f in *.metered.wat) continue ;; esac
	wat2wasm --debug-names "$f" -o "${f%.wat}.wasm"
done
