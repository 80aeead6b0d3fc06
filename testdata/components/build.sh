#!/usr/bin/env bash
# build.sh rebuilds the component fixtures of this directory from the core
# modules of testdata/wasm, with jco new and the preview 1 adapter jco
# ships (scripts/install-jco.sh installs jco into tools/jco/node_modules).
#
#   NAME.wasm          jco new testdata/wasm/NAME.wasm --wasi-command
#   reactor.wasm       jco new testdata/wasm/reactor.wasm --wasi-reactor
#   extra/loop.wasm    jco new testdata/wasm/loop.wasm --wasi-command (the node's
#                      timeout tests; not in the decoder's golden dumps)
#
# jco new is deterministic: rebuilding with the pinned jco gives the same
# bytes. After a rebuild, run
#   go test ./internal/component/binary -update
# and review the changed golden dumps under internal/component/binary/testdata.
#
# Usage: testdata/components/build.sh   (from anywhere)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
out="$root/testdata/components"
jco="$root/tools/jco/node_modules/.bin/jco"
if [ ! -x "$jco" ]; then
	echo "build.sh: $jco is missing; run scripts/install-jco.sh first" >&2
	exit 1
fi

# jco's own WASI shim does not see relative paths: pass absolute ones.
for name in printenv counter exit3 stderr; do
	"$jco" new "$root/testdata/wasm/$name.wasm" --wasi-command -o "$out/$name.wasm"
done
"$jco" new "$root/testdata/wasm/reactor.wasm" --wasi-reactor -o "$out/reactor.wasm"
# extra/ holds fixtures of the node's tests, outside the decoder's golden set.
mkdir -p "$out/extra"
"$jco" new "$root/testdata/wasm/loop.wasm" --wasi-command -o "$out/extra/loop.wasm"
ls -l "$out"/*.wasm "$out"/extra/*.wasm

# ---------------------------------------------------------------------------
# Isolation probes as components (tests/isolation/component_test.go): the
# command probes of testdata/wasm/isolation wrapped by jco new, deployed
# through the node like the bare modules and held to the same checks.
# filesprobe: the node's wasi:filesystem against the bare module
# (component_files_test.go).
for name in memprobe stateprobe envprobe filesprobe; do
	"$jco" new "$root/testdata/wasm/isolation/$name.wasm" --wasi-command -o "$out/extra/$name.wasm"
done
ls -l "$out"/extra/*probe.wasm

# ---------------------------------------------------------------------------
# Components from core WAT that call WASI 0.2 interfaces directly beside
# preview 1 (src/NAME.wat with its world in src/NAME.wit): wat2wasm, then
# src/embed.mjs embeds the world (resolving wasi:* from jco's WIT), then
# jco new wraps it with the preview 1 command adapter.
#   extra/sockets.wasm  every wasi:sockets call it makes is refused
#                       (component_files_test.go TestComponentSocketsRefused)
#   extra/fetch.wasm    one wasi:http/outgoing-handler request, through the
#                       node's egress (component_http_out_test.go)
#   extra/kv2.wasm      wasi:keyvalue@0.2.0-draft2: increment, cas, get-many
#                       (component_http_out_test.go TestComponentKeyValueDraft2)
embed() { # NAME PKG...
	local name="$1" tmp
	shift
	tmp="$(mktemp -d)"
	wat2wasm "$out/src/$name.wat" -o "$tmp/core.wasm"
	JCO_DIR="$root/tools/jco/node_modules/@bytecodealliance/jco" \
		node "$out/src/embed.mjs" "$tmp/core.wasm" "$out/src/$name.wit" "$name" "$tmp/embedded.wasm" "$@"
	"$jco" new "$tmp/embedded.wasm" --wasi-command -o "$out/extra/$name.wasm"
	rm -rf "$tmp"
}
embed sockets wasi-sockets wasi-io wasi-clocks
embed fetch wasi-http wasi-io wasi-clocks wasi-random wasi-cli wasi-filesystem wasi-sockets
embed kv2 "$out/src/keyvalue-draft2.wit"
ls -l "$out"/extra/sockets.wasm "$out"/extra/fetch.wasm "$out"/extra/kv2.wasm
