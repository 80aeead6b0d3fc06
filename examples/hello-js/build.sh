#!/usr/bin/env bash
# build.sh builds hello.js into hello.wasm, a wasi:http/proxy component,
# with componentize-js (about 10 s; the output is about 13 MB):
#
#   examples/hello-js/build.sh   (from anywhere)
#
# It installs jco and componentize-js first (scripts/install-jco.sh, pinned
# by tools/jco/package-lock.json). The WIT is jco's bundled WASI 0.2.12
# re-versioned to 0.2.10 in a temporary directory: the StarlingMonkey
# engine inside componentize-js exports wasi:http/incoming-handler@0.2.10,
# so the world must name that version. The world also imports the platform
# services (key-value, config, logging) at the drafts Wisp implements.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
"$root/scripts/install-jco.sh" >/dev/null

builtin="$root/tools/jco/node_modules/@bytecodealliance/jco/lib/wit/builtin/0.2.12"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for pkg in "$builtin"/*/; do
	name="$(basename "$pkg")"
	mkdir -p "$work/wit/deps/$name"
	sed 's/@0\.2\.12/@0.2.10/g' "$pkg/package.wit" >"$work/wit/deps/$name/package.wit"
done
# The platform services, at the draft versions Wisp implements
# (docs/components.md, section 6), transcribed from WebAssembly/wasi-keyvalue
# v0.2.0-draft, wasi-config v0.2.0-draft and wasi-logging 0.1.0-draft.
mkdir -p "$work/wit/deps/keyvalue" "$work/wit/deps/config" "$work/wit/deps/logging"
cat >"$work/wit/deps/keyvalue/package.wit" <<'WIT'
package wasi:keyvalue@0.2.0-draft;

interface store {
  variant error { no-such-store, access-denied, other(string) }
  record key-response { keys: list<string>, cursor: option<u64> }
  open: func(identifier: string) -> result<bucket, error>;
  resource bucket {
    get: func(key: string) -> result<option<list<u8>>, error>;
    set: func(key: string, value: list<u8>) -> result<_, error>;
    delete: func(key: string) -> result<_, error>;
    exists: func(key: string) -> result<bool, error>;
    list-keys: func(cursor: option<u64>) -> result<key-response, error>;
  }
}

interface atomics {
  use store.{bucket, error};
  increment: func(bucket: borrow<bucket>, key: string, delta: u64) -> result<u64, error>;
}
WIT
cat >"$work/wit/deps/config/package.wit" <<'WIT'
package wasi:config@0.2.0-draft;

interface store {
  variant error { upstream(string), io(string) }
  get: func(key: string) -> result<option<string>, error>;
  get-all: func() -> result<list<tuple<string, string>>, error>;
}
WIT
cat >"$work/wit/deps/logging/package.wit" <<'WIT'
package wasi:logging@0.1.0-draft;

interface logging {
  enum level { trace, debug, info, warn, error, critical }
  log: func(level: level, context: string, message: string);
}
WIT
cat >"$work/wit/world.wit" <<'WIT'
package wisp:hello-js;

world hello {
  import wasi:keyvalue/store@0.2.0-draft;
  import wasi:keyvalue/atomics@0.2.0-draft;
  import wasi:config/store@0.2.0-draft;
  import wasi:logging/logging@0.1.0-draft;
  export wasi:http/incoming-handler@0.2.10;
}
WIT

node "$here/componentize.mjs" "$root/tools/jco" "$here/hello.js" "$work/wit" hello "$here/hello.wasm"
echo "build.sh: wrote $here/hello.wasm ($(wc -c <"$here/hello.wasm") bytes)"
