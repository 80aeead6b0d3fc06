#!/usr/bin/env bash
# install-toolchain.sh installs what building Wisp's guest modules needs
# (see scripts/build-guests.sh):
#
#   wabt                    wat2wasm, for the hand written .wat modules
#   clang, lld              the C compiler and wasm-ld, for the C guests
#   wasi-libc               the C library for wasm32-wasi (Debian installs it
#                           under /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi,
#                           where clang --target=wasm32-wasi finds it unaided)
#   libclang-rt-dev-wasm32  compiler-rt builtins for wasm32 (libclang_rt.builtins-wasm32.a)
#
# The Go guests need only the Go toolchain (GOOS=wasip1 GOARCH=wasm).
#
# Idempotent: when every tool is already present it does nothing. It uses
# apt-get, so it needs root and a Debian based system (tested on bookworm).
set -euo pipefail

packages=(wabt clang lld wasi-libc libclang-rt-dev-wasm32)

have_toolchain() {
	command -v wat2wasm >/dev/null &&
		command -v clang >/dev/null &&
		command -v wasm-ld >/dev/null &&
		dpkg-query -W -f='${Status}\n' wasi-libc libclang-rt-dev-wasm32 2>/dev/null |
		grep -c '^install ok installed$' | grep -qx 2
}

if have_toolchain; then
	echo "install-toolchain: wat2wasm, clang, wasm-ld, wasi-libc and wasm32 builtins are already installed"
	exit 0
fi

if ! command -v apt-get >/dev/null; then
	echo "install-toolchain: apt-get not found; install these packages (or their equivalents) by hand: ${packages[*]}" >&2
	exit 1
fi

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

echo "install-toolchain: installing ${packages[*]}"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}"

if ! have_toolchain; then
	echo "install-toolchain: packages installed but a tool is still missing; check that wat2wasm, clang and wasm-ld are on PATH" >&2
	exit 1
fi
echo "install-toolchain: done"
