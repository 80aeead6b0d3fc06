#!/usr/bin/env bash
# install-assemblyscript.sh installs the AssemblyScript compiler (asc) that
# builds the AssemblyScript guests: the SDK in guest/assemblyscript, the
# example examples/links-as and the `wisp new assemblyscript` template.
#
#   node, npm       Node.js runs the compiler (Debian packages nodejs and npm,
#                   installed only when node or npm is missing from PATH;
#                   AssemblyScript 0.28 asks for Node.js 20 or later)
#   assemblyscript  the compiler, at the version guest/assemblyscript's
#                   package.json pins (its package-lock.json fixes every
#                   dependency), into guest/assemblyscript/node_modules
#                   (git-ignored); asc is then
#                   guest/assemblyscript/node_modules/.bin/asc
#
# Idempotent: it does nothing when that version is already installed, and
# runs apt-get update only when it installs a Debian package. apt-get needs
# root (or sudo) and a Debian based system (tested on bookworm).
#
# Usage: scripts/install-assemblyscript.sh   (from anywhere)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
sdk="$root/guest/assemblyscript"

"$root/scripts/install-node.sh" install-assemblyscript

version_of() { # version_of FILE: the "version" field of a package.json, or nothing
	if [ -f "$1" ]; then
		sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$1" | head -n 1
	fi
}
# The pinned version: the one package.json's devDependencies name.
want="$(sed -n 's/^ *"assemblyscript": *"\([^"]*\)".*/\1/p' "$sdk/package.json" | head -n 1)"
if [ -z "$want" ]; then
	echo "install-assemblyscript: $sdk/package.json names no assemblyscript version in devDependencies" >&2
	exit 1
fi

have="$(version_of "$sdk/node_modules/assemblyscript/package.json")"
if [ "$have" = "$want" ] && [ -x "$sdk/node_modules/.bin/asc" ]; then
	echo "install-assemblyscript: assemblyscript $have is already installed in guest/assemblyscript/node_modules"
	exit 0
fi

echo "install-assemblyscript: npm ci in guest/assemblyscript (assemblyscript $want)"
# npm ci installs exactly what package-lock.json records, and nothing when
# the lock file disagrees with package.json (it fails instead).
(cd "$sdk" && npm ci --no-audit --no-fund --loglevel=error)

have="$(version_of "$sdk/node_modules/assemblyscript/package.json")"
if [ "$have" != "$want" ] || [ ! -x "$sdk/node_modules/.bin/asc" ]; then
	echo "install-assemblyscript: npm ci finished but guest/assemblyscript/node_modules/.bin/asc is not assemblyscript $want (found '${have:-nothing}')" >&2
	exit 1
fi
echo "install-assemblyscript: assemblyscript $have, node $(node --version)"
