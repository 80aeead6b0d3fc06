#!/usr/bin/env bash
# build.sh builds links-go.wasm, a reactor (exports wisp_handle), from
# main.go and the Go SDK in guest/go. Run it from anywhere.
#
# Needs Go 1.24 or later (the repository's go.mod asks for its own
# version). The build is reproducible: -trimpath and -buildvcs=false keep
# paths and the git state out of the module, so the same Go gives the same
# bytes wherever the repository lives.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

if ! command -v go >/dev/null; then
	echo "build.sh: go not found: install Go (https://go.dev/dl/), the version of the repository's go.mod" >&2
	exit 1
fi
cd "$root"
GOOS=wasip1 GOARCH=wasm GOFLAGS= CGO_ENABLED=0 \
	go build -buildmode=c-shared -tags wisp_reactor -trimpath -buildvcs=false -ldflags=-s \
	-o examples/links-go/links-go.wasm ./examples/links-go
chmod 644 examples/links-go/links-go.wasm
echo "build.sh: built examples/links-go/links-go.wasm"
