;; risky_country.wat: a rule in WebAssembly text (an Extism plugin, no WASI):
;; hands the event to the host's extism:host/user country_risk and flags it
;; when the host answers "high". Output: "flag: high-risk country" or "pass".
;; Build: wat2wasm risky_country.wat -o risky_country.wasm
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/user" "country_risk" (func $country_risk (param i64) (result i64)))
  (memory (export "memory") 1)
  (data (i32.const 0) "flag: high-risk country")
  (data (i32.const 32) "pass")

  ;; $block copies len bytes of linear memory at ptr into a new block.
  (func $block (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
        (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $h))

  (func (export "evaluate") (result i32)
    (local $n i64) (local $i i64) (local $in i64) (local $risk i64)
    ;; the event, as a block for the host
    (local.set $n (call $input_length))
    (local.set $in (call $alloc (local.get $n)))
    (block $done (loop $next
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (call $store_u8 (i64.add (local.get $in) (local.get $i)) (call $input_load_u8 (local.get $i)))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.set $risk (call $country_risk (local.get $in)))
    ;; "high" starts with 'h' (104)
    (if (i32.and (i64.ne (call $length (local.get $risk)) (i64.const 0))
                 (i32.eq (call $load_u8 (local.get $risk)) (i32.const 104)))
      (then (call $output_set (call $block (i32.const 0) (i32.const 23)) (i64.const 23)))
      (else (call $output_set (call $block (i32.const 32) (i32.const 4)) (i64.const 4))))
    (i32.const 0))
)
