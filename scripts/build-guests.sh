#!/usr/bin/env bash
# build-guests.sh rebuilds every guest WebAssembly module from source: the
# example apps in examples/ and the test fixtures in testdata/wasm/. The
# built .wasm files are committed, so run this after editing a guest's source
# and commit the result.
#
# Usage: scripts/build-guests.sh   (from anywhere; paths are relative to the repository)
#
# Toolchains: wat2wasm (wabt) for .wat, clang + wasm-ld + wasi-libc for .c,
# Go (GOOS=wasip1 GOARCH=wasm) for .go, and for the SDK examples Debian's
# rustc with its wasm32-wasi standard library and AssemblyScript from npm. When wat2wasm, clang, wasm-ld or
# wasi-libc is missing it runs scripts/install-toolchain.sh first.
#
# Builds are deterministic: running the script twice gives byte-identical
# files. The bytes depend on the tool versions (Debian bookworm's wabt
# 1.0.32 and clang 14, and the Go of go.mod), so another toolchain may
# produce different but equivalent modules.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

have_libc() { # Debian's wasi-libc, unless WASI_SYSROOT names another
	[ -n "${WASI_SYSROOT:-}" ] || [ -f /usr/lib/wasm32-wasi/libc.a ]
}
if ! command -v wat2wasm >/dev/null || ! command -v clang >/dev/null ||
	! command -v wasm-ld >/dev/null || ! have_libc; then
	"$root/scripts/install-toolchain.sh"
fi

# C flags: wasm32-wasi with Debian's wasi-libc (found by clang without
# --sysroot); set WASI_SYSROOT to use another one, such as wasi-sdk's.
cflags=(--target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-all)
if [ -n "${WASI_SYSROOT:-}" ]; then
	cflags+=("--sysroot=$WASI_SYSROOT")
fi

wat() { # wat DIR NAME: DIR/NAME.wat -> DIR/NAME.wasm
	echo "wat2wasm $1/$2.wat"
	wat2wasm "$1/$2.wat" -o "$1/$2.wasm"
}

c() { # c DIR NAME: DIR/NAME.c -> DIR/NAME.wasm
	echo "clang    $1/$2.c"
	# Compile inside DIR so no absolute path can reach the output.
	(cd "$1" && clang "${cflags[@]}" -o "$2.wasm" "$2.c" && chmod 644 "$2.wasm")
}

gowasm() { # gowasm DIR NAME [GO BUILD FLAGS...]: package ./DIR -> DIR/NAME.wasm
	local dir=$1 name=$2
	shift 2
	echo "go build $* ./$dir"
	GOOS=wasip1 GOARCH=wasm GOFLAGS= CGO_ENABLED=0 \
		go build "$@" -trimpath -buildvcs=false -ldflags=-s -o "$dir/$name.wasm" "./$dir"
	chmod 644 "$dir/$name.wasm"
}

# Examples.
wat examples/hello hello
c examples/echo echo
c internal/engine/rootfs/testdata escape
# A reactor (exports wisp_handle), which Wisp pre-initializes at deploy.
gowasm examples/json json -buildmode=c-shared
# The SDK examples (examples/links-<lang>): each has its own build.sh,
# which installs or names the tool it needs (Rust: Debian's rustc;
# AssemblyScript: the compiler from npm, scripts/install-assemblyscript.sh).
for build in examples/links-*/build.sh; do
	echo "$build"
	"$build"
done

# Test fixtures (see testdata/wasm/README.md): every .wat and .c there.
fixtures=testdata/wasm
for src in "$fixtures"/*.wat; do
	wat "$fixtures" "$(basename "$src" .wat)"
done
for src in "$fixtures"/*.c; do
	c "$fixtures" "$(basename "$src" .c)"
done

echo "truncated.wasm, garbage.wasm, corrupt.wasm"
# The first 20 bytes of a valid module: a good header, then a cut-off section.
head -c 20 examples/hello/hello.wasm >"$fixtures/truncated.wasm"
# 100 bytes of text that is not WebAssembly.
text='this is not a WebAssembly module. '
text="$text$text$text"
printf '%s' "${text:0:100}" >"$fixtures/garbage.wasm"
# The wasm magic and version, then a type section claiming 2^32-1 bytes.
printf '\000asm\001\000\000\000\001\377\377\377\377\017garbage after a valid header' >"$fixtures/corrupt.wasm"

# --- isolation probes (tests/isolation; see testdata/wasm/README.md) ---
# Every testdata/wasm/isolation/NAME.wat gives two modules: NAME.wasm, a
# command, built from the file as is; and NAME-reactor.wasm, a reactor,
# built with the line ending in ";; command" (the _start export) removed
# and the line starting with ";;reactor " (the _initialize and wisp_handle
# exports) uncommented.
isolation=testdata/wasm/isolation
reactor_src="$(mktemp)"
trap 'rm -f "$reactor_src"' EXIT
for src in "$isolation"/*.wat; do
	name="$(basename "$src" .wat)"
	wat "$isolation" "$name"
	echo "wat2wasm $src (reactor)"
	sed -e '/;; command$/d' -e 's/^\([[:space:]]*\);;reactor /\1/' "$src" >"$reactor_src"
	wat2wasm "$reactor_src" -o "$isolation/$name-reactor.wasm"
done
echo "built the isolation probes"
# --- end of isolation probes ---

# Plugins (package plugin; Extism's host ABI): a WAT plugin without WASI and a
# C reactor built against guest/extism/extism_abi.h.
wat plugin/testdata abi
wat plugin/testdata command
echo "clang    plugin/testdata/kitchen.c"
(cd plugin/testdata && clang "${cflags[@]}" -mexec-model=reactor -I../../guest/extism -o kitchen.wasm kitchen.c && chmod 644 kitchen.wasm)
gowasm plugin/testdata/goabi goabi -buildmode=c-shared
echo "rustc    plugin/testdata/rustabi/lib.rs"
(cd plugin/testdata/rustabi && "${RUSTC:-/usr/bin/rustc}" --edition 2021 --target wasm32-wasi --crate-type cdylib \
	-C opt-level=2 -C strip=symbols --remap-path-prefix="$PWD=." -o rustabi.wasm lib.rs && chmod 644 rustabi.wasm)
# The rules engine example's rules, and the plugin bench's tiny plugin.
for rule in risky_country runaway hog; do wat examples/rules/rules "$rule"; done
echo "clang    examples/rules/rules/high_amount.c"
(cd examples/rules/rules && clang "${cflags[@]}" -mexec-model=reactor -I../../../guest/extism -o high_amount.wasm high_amount.c && chmod 644 high_amount.wasm)
wat bench/plugins tiny

echo "built every guest module"
