#!/usr/bin/env bash
# build.sh rebuilds the hostile suite's guest modules from source, in this
# directory; the built .wasm files are committed next to their sources, so
# run it after editing a guest and commit the result. Builds are
# deterministic for a given toolchain (see scripts/build-guests.sh, which
# installs it: wat2wasm from wabt, clang with wasm-ld and wasi-libc, Go).
#
# Usage: tests/hostile/testdata/build.sh   (from anywhere)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

for src in *.wat; do
	echo "wat2wasm $src"
	wat2wasm "$src" -o "${src%.wat}.wasm"
done

# C guests with wasi-libc; each lives in a directory with its wisp.toml.
cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-all)
if [ -n "${WASI_SYSROOT:-}" ]; then
	cflags+=("--sysroot=$WASI_SYSROOT")
fi
for name in fdbomb fsescape; do
	echo "clang    $name/$name.c"
	(cd "$name" && clang "${cflags[@]}" -o "$name.wasm" "$name.c" && chmod 644 "$name.wasm")
done

echo "go build gomem"
(cd gomem && GOOS=wasip1 GOARCH=wasm CGO_ENABLED=0 GOFLAGS= \
	go build -trimpath -buildvcs=false -ldflags=-s -o gomem.wasm main.go && chmod 644 gomem.wasm)

echo "go run ./gen (localsbomb.wasm, nestbomb.wasm)"
go run ./gen

echo "built every hostile guest"
