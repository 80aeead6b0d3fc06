#!/usr/bin/env bash
# build.sh builds links-rust.wasm, a reactor (a cdylib exporting
# wisp_handle), from src/ and the SDK in guest/rust. Run it from anywhere.
#
# Compiler: $RUSTC if set, else Debian's /usr/bin/rustc (1.63, which built
# the committed links-rust.wasm), else the rustc on PATH; it must have the
# wasm32-wasi target (Rust up to 1.83) or wasm32-wasip1 (1.78 and later).
# scripts/install-toolchain.sh installs Debian's (rustc, cargo,
# libstd-rust-dev-wasm32); with rustup: rustup target add wasm32-wasip1.
#
# The build is reproducible: the same compiler gives the same bytes wherever
# the repository lives (see below). Cargo.toml describes the same build for
# cargo (cargo build --release --target wasm32-wasi), for IDEs and cargo
# check; its output differs in a few bytes between checkouts.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"

# wasi_target RUSTC prints the wasm32 WASI target RUSTC's sysroot has.
wasi_target() {
	local sysroot t
	sysroot="$("$1" --print sysroot 2>/dev/null)" || return 1
	for t in wasm32-wasi wasm32-wasip1; do
		if [ -d "$sysroot/lib/rustlib/$t/lib" ]; then
			echo "$t"
			return 0
		fi
	done
	return 1
}

rustc="" target=""
if [ -n "${RUSTC:-}" ]; then
	candidates=("$RUSTC")
else
	candidates=(/usr/bin/rustc "$(command -v rustc || true)")
fi
for candidate in "${candidates[@]}"; do
	if [ -n "$candidate" ] && [ -x "$candidate" ] && target="$(wasi_target "$candidate")"; then
		rustc="$candidate"
		break
	fi
done
if [ -z "$rustc" ] && [ -n "${RUSTC:-}" ]; then
	echo "build.sh: RUSTC=$RUSTC is not a rustc with the wasm32-wasi or wasm32-wasip1 target" >&2
	exit 1
fi
if [ -z "$rustc" ]; then
	echo "build.sh: no Rust compiler with the wasm32-wasi or wasm32-wasip1 target found:" >&2
	echo "  run scripts/install-toolchain.sh (Debian: rustc, cargo, libstd-rust-dev-wasm32)" >&2
	echo "  or, with rustup: rustup target add wasm32-wasip1" >&2
	exit 1
fi
echo "build.sh: $("$rustc" --version), target $target"
# rustc directly, not cargo: cargo's crate hashes include the checkout's
# path and RUSTFLAGS, so its output would differ between checkouts. The
# flags are Cargo.toml's release profile. Paths are relative to the
# repository, so none of the machine's reaches the module.
cd "$root"
out=examples/links-rust/target/build-sh
mkdir -p "$out"
flags=(--edition 2021 --target "$target" -C opt-level=s -C codegen-units=1 -C panic=abort -C debuginfo=0
	--remap-path-prefix "$root=wisp" --cap-lints warn)
"$rustc" "${flags[@]}" --crate-type rlib --crate-name wisp -C metadata=wisp -C embed-bitcode=yes \
	--out-dir "$out" guest/rust/src/lib.rs
"$rustc" "${flags[@]}" --crate-type cdylib --crate-name links_rust -C lto -C strip=symbols \
	--extern "wisp=$out/libwisp.rlib" -L "$out" -o examples/links-rust/links-rust.wasm examples/links-rust/src/lib.rs
chmod 644 examples/links-rust/links-rust.wasm
echo "build.sh: built examples/links-rust/links-rust.wasm"
