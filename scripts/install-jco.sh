#!/usr/bin/env bash
# install-jco.sh installs the npm tools that build WebAssembly components:
#
#   @bytecodealliance/jco               jco new wraps a preview 1 core module
#                                       into a component with the preview 1
#                                       adapter it ships under lib/
#                                       (testdata/components/build.sh uses it)
#   @bytecodealliance/componentize-js   builds a JavaScript wasi:http handler
#                                       into a component (StarlingMonkey)
#
# at the versions tools/jco/package.json pins (its package-lock.json fixes
# every dependency), into tools/jco/node_modules (git-ignored). jco is then
# tools/jco/node_modules/.bin/jco. It needs node and npm (Node.js 20 or
# later); it installs them from Debian when they are missing, like
# scripts/install-assemblyscript.sh.
#
# Idempotent: it does nothing when the pinned versions are installed.
#
# Usage: scripts/install-jco.sh   (from anywhere)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="$root/tools/jco"

"$root/scripts/install-node.sh" install-jco

version_of() { # version_of FILE: the "version" field of a package.json, or nothing
	if [ -f "$1" ]; then
		sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1" | head -n 1
	fi
}
pinned() { # pinned NAME: the version package.json's devDependencies name
	sed -n "s|^ *\"$1\": *\"\\([^\"]*\\)\".*|\\1|p" "$dir/package.json" | head -n 1
}

want_jco="$(pinned @bytecodealliance/jco)"
want_cjs="$(pinned @bytecodealliance/componentize-js)"
if [ -z "$want_jco" ] || [ -z "$want_cjs" ]; then
	echo "install-jco: $dir/package.json does not pin @bytecodealliance/jco and @bytecodealliance/componentize-js" >&2
	exit 1
fi

installed() {
	[ "$(version_of "$dir/node_modules/@bytecodealliance/jco/package.json")" = "$want_jco" ] &&
		[ "$(version_of "$dir/node_modules/@bytecodealliance/componentize-js/package.json")" = "$want_cjs" ] &&
		[ -x "$dir/node_modules/.bin/jco" ] &&
		[ -f "$dir/node_modules/@bytecodealliance/jco/lib/wasi_snapshot_preview1.command.wasm" ]
}

if installed; then
	echo "install-jco: jco $want_jco and componentize-js $want_cjs are already installed in tools/jco/node_modules"
	exit 0
fi

echo "install-jco: npm ci in tools/jco (jco $want_jco, componentize-js $want_cjs)"
# npm ci installs exactly what package-lock.json records, and fails when
# the lock file disagrees with package.json.
(cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)

if ! installed; then
	echo "install-jco: npm ci finished but tools/jco/node_modules does not hold jco $want_jco with its preview 1 adapters and componentize-js $want_cjs" >&2
	exit 1
fi
echo "install-jco: jco $want_jco, componentize-js $want_cjs, node $(node --version)"
