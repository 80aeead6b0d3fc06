#!/usr/bin/env bash
# install-node.sh installs Node.js and npm from Debian when either is
# missing, and warns when node is older than 20 (what jco and
# AssemblyScript ask for). The npm tool installers call it first
# (install-jco.sh, install-assemblyscript.sh).
#
# Idempotent: it runs apt-get only when it installs something. apt-get
# needs root (or sudo) and a Debian based system (tested on bookworm).
#
# Usage: scripts/install-node.sh CALLER   (CALLER names the script in messages)
set -euo pipefail

caller="${1:-install-node}"
missing=()
command -v node >/dev/null || missing+=(nodejs)
command -v npm >/dev/null || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
	if ! command -v apt-get >/dev/null; then
		echo "$caller: apt-get not found; install Node.js 20 or later with npm by hand (missing: ${missing[*]})" >&2
		exit 1
	fi
	sudo=""
	if [ "$(id -u)" -ne 0 ]; then
		sudo="sudo"
	fi
	echo "$caller: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	$sudo apt-get update -q
	$sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

major="$(node -p 'process.versions.node.split(".")[0]')"
if [ "$major" -lt 20 ]; then
	echo "$caller: warning: node $(node --version) is older than 20, which jco and AssemblyScript ask for; builds may fail" >&2
fi
