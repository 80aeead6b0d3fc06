;; stderrflood.wat: writes 64 KiB blocks to stderr forever, each of 4,096
;; lines of 15 "e" and a newline, so only the invocation timeout stops it.
;; Build: wat2wasm stderrflood.wat -o stderrflood.wasm (or ./build.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start")
    (local $i i32)
    ;; Fill 64 KiB at 65536 with "eeeeeeeeeeeeeee\n" lines.
    (loop $fill
      (i32.store8 (i32.add (i32.const 65536) (local.get $i))
        (select (i32.const 10) (i32.const 101)
          (i32.eq (i32.and (local.get $i) (i32.const 15)) (i32.const 15))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 65536))))
    (i32.store (i32.const 0) (i32.const 65536))
    (i32.store (i32.const 4) (i32.const 65536))
    (loop $forever
      (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
      (br $forever)))
)
