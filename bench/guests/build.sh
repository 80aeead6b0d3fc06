#!/usr/bin/env bash
# build.sh rebuilds the peer benchmark's guest modules (bench/compare) from
# source. The built .wasm files are committed, so run this after editing a
# guest and commit the result. The WAT hello the benchmark also runs is
# examples/hello, built by scripts/build-guests.sh.
#
# Usage: bench/guests/build.sh   (from anywhere)
#
#   hello-c/hello.wasm   clang --target=wasm32-wasi with Debian's wasi-libc,
#                        the flags scripts/build-guests.sh uses
#   hostbench/hostbench.wasm  the same: bench/hostcalls's guest, which repeats
#                        one platform-service call N times
#   sha256-c/sha256.wasm  the same: the CPU-heavy guest (SHA-256 of 16 KiB,
#                        a JSON answer)
#   hello-go/hello.wasm  GOOS=wasip1 GOARCH=wasm go build, a command module
#   hello-go-reactor/hello.wasm  the same with -buildmode=c-shared: a reactor
#                        (exports wisp_handle), pre-initialized by Wisp
#
# When clang, wasm-ld or wasi-libc is missing it runs
# scripts/install-toolchain.sh first. Builds are deterministic for a given
# toolchain (Debian bookworm's clang 14, the Go of go.mod).
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

have_libc() { # Debian's wasi-libc, unless WASI_SYSROOT names another
	[ -n "${WASI_SYSROOT:-}" ] || [ -f /usr/lib/wasm32-wasi/libc.a ]
}
if ! command -v clang >/dev/null || ! command -v wasm-ld >/dev/null || ! have_libc; then
	scripts/install-toolchain.sh
fi

cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-all)
if [ -n "${WASI_SYSROOT:-}" ]; then
	cflags+=("--sysroot=$WASI_SYSROOT")
fi

echo "clang    bench/guests/hello-c/hello.c"
# Compile inside the directory so no absolute path can reach the output.
(cd bench/guests/hello-c && clang "${cflags[@]}" -o hello.wasm hello.c && chmod 644 hello.wasm)

echo "clang    bench/guests/hostbench/hostbench.c"
(cd bench/guests/hostbench && clang "${cflags[@]}" -o hostbench.wasm hostbench.c && chmod 644 hostbench.wasm)

echo "clang    bench/guests/sha256-c/sha256.c"
(cd bench/guests/sha256-c && clang "${cflags[@]}" -o sha256.wasm sha256.c && chmod 644 sha256.wasm)

echo "go build ./bench/guests/hello-go"
GOOS=wasip1 GOARCH=wasm GOFLAGS= CGO_ENABLED=0 \
	go build -trimpath -buildvcs=false -ldflags=-s -o bench/guests/hello-go/hello.wasm ./bench/guests/hello-go
chmod 644 bench/guests/hello-go/hello.wasm

echo "go build -buildmode=c-shared ./bench/guests/hello-go-reactor"
GOOS=wasip1 GOARCH=wasm GOFLAGS= CGO_ENABLED=0 \
	go build -buildmode=c-shared -trimpath -buildvcs=false -ldflags=-s -o bench/guests/hello-go-reactor/hello.wasm ./bench/guests/hello-go-reactor
chmod 644 bench/guests/hello-go-reactor/hello.wasm

echo "built the benchmark guests"
