#!/usr/bin/env bash
# install-bench-tools.sh installs what the peer benchmark (`make bench`,
# bench/compare) runs besides Go:
#
#   wrk      the HTTP load generator (Debian package wrk)
#   node     Node.js, for the node:wasi server (Debian package nodejs,
#            unless a node is already on PATH)
#   npm      to install workerd (Debian package npm, unless npm is on PATH)
#   workerd  Cloudflare's workerd, from its npm package, into
#            bench/.tools/node_modules (git-ignored; the harness looks there)
#
# Idempotent: it installs only what is missing, and runs apt-get update
# only when it installs a package. apt-get needs root (or sudo) and a
# Debian based system (tested on bookworm).
#
# Environment: WORKERD_VERSION picks the npm workerd version (default the
# one below, what the figures in docs/benchmarks.md were measured with;
# "latest" for the newest).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="$root/bench/.tools"
workerd_version="${WORKERD_VERSION:-1.20261117.1}"

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
	if ! command -v apt-get >/dev/null; then
		echo "install-bench-tools: apt-get not found; install these packages (or their equivalents) by hand: ${missing[*]}" >&2
		exit 1
	fi
	echo "install-bench-tools: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

installed_workerd() { # the version npm installed under bench/.tools, or nothing
	sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$tools/node_modules/workerd/package.json" 2>/dev/null | head -n 1
}
if [ "$workerd_version" = latest ] || [ "$(installed_workerd)" != "$workerd_version" ]; then
	echo "install-bench-tools: npm install workerd@$workerd_version into bench/.tools"
	mkdir -p "$tools"
	# --prefix keeps node_modules, package.json and the lock file in bench/.tools.
	npm install --prefix "$tools" --no-audit --no-fund --loglevel=error "workerd@$workerd_version"
fi

echo "install-bench-tools: wrk $(wrk -v 2>&1 | head -n 1 | cut -d' ' -f2), node $(node --version), workerd $(installed_workerd)"
