;; command.wat: an Extism plugin that is a WASI command, as Go's standard
;; toolchain builds them without -buildmode=c-shared: the work is in _start,
;; which ends with proc_exit(0). Build: wat2wasm command.wat -o command.wasm
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $proc_exit (param i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (global $runs (mut i32) (i32.const 0))
  (func (export "_start")
    (local $h i64)
    (global.set $runs (i32.add (global.get $runs) (i32.const 1)))
    (local.set $h (call $alloc (i64.const 1)))
    ;; '0' + how many times _start ran in this instance: always 1
    (call $store_u8 (local.get $h) (i32.add (i32.const 48) (global.get $runs)))
    (call $output_set (local.get $h) (i64.const 1))
    (call $proc_exit (i32.const 0))))
