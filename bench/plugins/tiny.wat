;; tiny.wat: the bench's tiny plugin, on Extism's ABI only (no WASI): its
;; "evaluate" reads the input and answers "y" if it holds a '!', else "n".
;; Build: wat2wasm tiny.wat -o tiny.wasm
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (memory (export "memory") 1)
  (func (export "evaluate") (result i32)
    (local $n i64) (local $i i64) (local $answer i32) (local $h i64)
    (local.set $n (call $input_length))
    (local.set $answer (i32.const 110)) ;; n
    (block $done (loop $next
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (if (i32.eq (call $input_load_u8 (local.get $i)) (i32.const 33))
        (then (local.set $answer (i32.const 121)) (br $done))) ;; y
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.set $h (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $h) (local.get $answer))
    (call $output_set (local.get $h) (i64.const 1))
    (i32.const 0)))
