;; abi.wat: an Extism plugin in WebAssembly text, without WASI, for the
;; plugin package's tests. Build: wat2wasm abi.wat -o abi.wasm
;; Well-behaved: echo (input to output), upper (ASCII upper-case of the input),
;; counter (variable "n", one byte, incremented per call), remember (sets
;; variable "v" to the input and outputs its value before, if any), twice (the host's
;; extism:host/user double on the input), sum (the host's add_i32 on guest
;; memory), noop (returns nothing), fail (error_set "bad input", returns 2).
;; Hostile: spin (endless loop), grow (memory.grow until refused, then
;; unreachable), hoard (alloc until refused), wild (load_u64 far outside
;; Extism memory), huge (output_set of 1 GiB), peek (a host function given a
;; pointer past the guest's memory), forged (a handle it never allocated,
;; to the host's double), exit (returns 7 without an error).
(module
  (import "extism:host/env" "input_length" (func $input_length (result i64)))
  (import "extism:host/env" "input_load_u8" (func $input_load_u8 (param i64) (result i32)))
  (import "extism:host/env" "alloc" (func $alloc (param i64) (result i64)))
  (import "extism:host/env" "store_u8" (func $store_u8 (param i64 i32)))
  (import "extism:host/env" "load_u8" (func $load_u8 (param i64) (result i32)))
  (import "extism:host/env" "load_u64" (func $load_u64 (param i64) (result i64)))
  (import "extism:host/env" "length" (func $length (param i64) (result i64)))
  (import "extism:host/env" "output_set" (func $output_set (param i64 i64)))
  (import "extism:host/env" "error_set" (func $error_set (param i64)))
  (import "extism:host/env" "var_get" (func $var_get (param i64) (result i64)))
  (import "extism:host/env" "var_set" (func $var_set (param i64 i64)))
  (import "extism:host/user" "double" (func $double (param i64) (result i64)))
  (import "extism:host/user" "peek" (func $peek (param i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 0) "bad input")
  (data (i32.const 16) "n")
  (data (i32.const 17) "v")

  ;; $from_mem copies len bytes of linear memory at ptr into a new block.
  (func $from_mem (param $ptr i32) (param $len i32) (result i64)
    (local $h i64) (local $i i32)
    (local.set $h (call $alloc (i64.extend_i32_u (local.get $len))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
      (call $store_u8 (i64.add (local.get $h) (i64.extend_i32_u (local.get $i)))
        (i32.load8_u (i32.add (local.get $ptr) (local.get $i))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $next)))
    (local.get $h))

  ;; $input copies the input into a new block, mapping each byte with $f.
  (func $input (param $upper i32) (result i64)
    (local $n i64) (local $h i64) (local $i i64) (local $c i32)
    (local.set $n (call $input_length))
    (local.set $h (call $alloc (local.get $n)))
    (block $done (loop $next
      (br_if $done (i64.ge_u (local.get $i) (local.get $n)))
      (local.set $c (call $input_load_u8 (local.get $i)))
      (if (i32.and (local.get $upper)
            (i32.and (i32.ge_u (local.get $c) (i32.const 97)) (i32.le_u (local.get $c) (i32.const 122))))
        (then (local.set $c (i32.sub (local.get $c) (i32.const 32)))))
      (call $store_u8 (i64.add (local.get $h) (local.get $i)) (local.get $c))
      (local.set $i (i64.add (local.get $i) (i64.const 1)))
      (br $next)))
    (local.get $h))

  (func (export "echo") (result i32)
    (call $output_set (call $input (i32.const 0)) (call $input_length))
    (i32.const 0))

  (func (export "upper") (result i32)
    (call $output_set (call $input (i32.const 1)) (call $input_length))
    (i32.const 0))

  (func (export "noop"))

  (func (export "remember") (result i32)
    (local $old i64)
    (local.set $old (call $var_get (call $from_mem (i32.const 17) (i32.const 1))))
    (call $var_set (call $from_mem (i32.const 17) (i32.const 1)) (call $input (i32.const 0)))
    (if (i64.ne (local.get $old) (i64.const 0))
      (then (call $output_set (local.get $old) (call $length (local.get $old)))))
    (i32.const 0))

  (func (export "counter") (result i32)
    (local $v i64) (local $n i32) (local $h i64)
    (local.set $v (call $var_get (call $from_mem (i32.const 16) (i32.const 1))))
    (if (i64.ne (local.get $v) (i64.const 0))
      (then (local.set $n (call $load_u8 (local.get $v)))))
    (local.set $n (i32.add (local.get $n) (i32.const 1)))
    (local.set $h (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $h) (i32.add (local.get $n) (i32.const 48)))
    (local.set $v (call $alloc (i64.const 1)))
    (call $store_u8 (local.get $v) (local.get $n))
    (call $var_set (call $from_mem (i32.const 16) (i32.const 1)) (local.get $v))
    (call $output_set (local.get $h) (i64.const 1))
    (i32.const 0))

  (func (export "twice") (result i32)
    (local $r i64)
    (local.set $r (call $double (call $input (i32.const 0))))
    (call $output_set (local.get $r) (call $length (local.get $r)))
    (i32.const 0))

  (func (export "fail") (result i32)
    (call $error_set (call $from_mem (i32.const 0) (i32.const 9)))
    (i32.const 2))

  (func (export "exit") (result i32) (i32.const 7))

  (func (export "spin") (result i32)
    (loop $forever (br $forever))
    (i32.const 0))

  (func (export "grow") (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable)

  (func (export "hoard") (result i32)
    (loop $more
      (drop (call $alloc (i64.const 1048576)))
      (br $more))
    (i32.const 0))

  (func (export "wild") (result i32)
    (drop (call $load_u64 (i64.const 0x7fffffff00)))
    (i32.const 0))

  (func (export "huge") (result i32)
    (call $output_set (call $alloc (i64.const 8)) (i64.const 1073741824))
    (i32.const 0))

  (func (export "forged") (result i32)
    (drop (call $double (i64.const 4096)))
    (i32.const 0))

  (func (export "peek") (result i32)
    (drop (call $peek (i32.const 0xfffffff0) (i32.const 64)))
    (i32.const 0))

  (func (export "sum") (result i32)
    (local $h i64)
    (i32.store (i32.const 64) (i32.const 40))
    (i32.store (i32.const 68) (i32.const 2))
    (drop (call $peek (i32.const 64) (i32.const 8)))
    ;; the host wrote the sum at 72
    (local.set $h (call $from_mem (i32.const 72) (i32.const 4)))
    (call $output_set (local.get $h) (i64.const 4))
    (i32.const 0))
)
