#!/usr/bin/env bash
# build.sh builds links.wasm from links.ts with the AssemblyScript compiler
# and the options of the SDK's asconfig.json (guest/assemblyscript), which
# make a Wisp reactor (exports wisp_handle and _initialize) importing only
# WASI preview 1 and the Wisp host modules.
#
# Usage: examples/links-as/build.sh   (from anywhere)
#
# The compiler is the one scripts/install-assemblyscript.sh installs into
# guest/assemblyscript/node_modules (it runs that script when asc is
# missing; that needs node and npm, or apt-get to install them).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
asc="$root/guest/assemblyscript/node_modules/.bin/asc"

if [ ! -x "$asc" ]; then
	"$root/scripts/install-assemblyscript.sh" || {
		echo "build.sh: the AssemblyScript compiler is missing and scripts/install-assemblyscript.sh could not install it" >&2
		exit 1
	}
fi

# Compile inside the example's directory, so the paths the module records
# (in abort messages) are relative and the build is the same anywhere.
cd "$here"
echo "asc      examples/links-as/links.ts"
"$asc" links.ts --config asconfig.json --outFile links.wasm
chmod 644 links.wasm
