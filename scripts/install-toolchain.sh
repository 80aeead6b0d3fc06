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
#   rustc, cargo            Debian's Rust (1.63 on bookworm), for the Rust guests
#                           (guest/rust, examples/links-rust); installed as
#                           /usr/bin/rustc and /usr/bin/cargo
#   libstd-rust-dev-wasm32  Rust's standard library for wasm32-wasi (Debian's name
#                           for the target rustup calls wasm32-wasip1)
#
# A rustup toolchain earlier on PATH (~/.cargo/bin) is left alone; the Rust
# build scripts call /usr/bin/rustc unless RUSTC names another compiler.
# The Go guests need only the Go toolchain (GOOS=wasip1 GOARCH=wasm).
#
# Idempotent: when every tool is already present it does nothing. It uses
# apt-get, so it needs root and a Debian based system (tested on bookworm).
set -euo pipefail

packages=(wabt clang lld wasi-libc libclang-rt-dev-wasm32 rustc cargo libstd-rust-dev-wasm32)
# The packages checked with dpkg-query: those that put no command on PATH, and
# Debian's Rust, which a rustup rustc on PATH would hide from command -v.
dpkg_packages=(wasi-libc libclang-rt-dev-wasm32 rustc cargo libstd-rust-dev-wasm32)

have_toolchain() {
	command -v wat2wasm >/dev/null &&
		command -v clang >/dev/null &&
		command -v wasm-ld >/dev/null &&
		dpkg-query -W -f='${Status}\n' "${dpkg_packages[@]}" 2>/dev/null |
		grep -c '^install ok installed$' | grep -qx "${#dpkg_packages[@]}"
}

if have_toolchain; then
	echo "install-toolchain: wat2wasm, clang, wasm-ld, wasi-libc, wasm32 builtins and Debian's Rust for wasm32-wasi are already installed"
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
	echo "install-toolchain: packages installed but a tool is still missing; check that wat2wasm, clang and wasm-ld are on PATH and that ${dpkg_packages[*]} are installed" >&2
	exit 1
fi
echo "install-toolchain: done"
