#!/usr/bin/env bash
# build.sh builds links-c.wasm, a reactor (exports wisp_handle), from
# links.c and the SDK in guest/c (wisp.h, wisp.c). Run it from anywhere.
#
# Needs clang, wasm-ld (lld) and wasi-libc: Debian's, which
# scripts/install-toolchain.sh installs and clang finds without --sysroot,
# or another wasi-libc named by WASI_SYSROOT (such as wasi-sdk's
# share/wasi-sysroot).
#
# The build is reproducible: it compiles with relative paths and no debug
# information, so the same clang and wasi-libc give the same bytes wherever
# the repository lives.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

missing=()
command -v clang >/dev/null || missing+=(clang)
command -v wasm-ld >/dev/null || missing+=("wasm-ld (lld)")
if [ -z "${WASI_SYSROOT:-}" ] && [ ! -f /usr/lib/wasm32-wasi/libc.a ]; then
	missing+=("wasi-libc (/usr/lib/wasm32-wasi/libc.a)")
fi
if [ "${#missing[@]}" -gt 0 ]; then
	echo "build.sh: missing ${missing[*]}: run scripts/install-toolchain.sh, or set WASI_SYSROOT to a wasi-libc sysroot" >&2
	exit 1
fi

cflags=(--target=wasm32-wasi -mexec-model=reactor -O2 -Wall -Wextra -Werror -Wl,--strip-all)
if [ -n "${WASI_SYSROOT:-}" ]; then
	cflags+=("--sysroot=$WASI_SYSROOT")
fi
cd "$root"
clang "${cflags[@]}" -I guest/c -o examples/links-c/links-c.wasm examples/links-c/links.c guest/c/wisp.c
chmod 644 examples/links-c/links-c.wasm
echo "build.sh: built examples/links-c/links-c.wasm"
