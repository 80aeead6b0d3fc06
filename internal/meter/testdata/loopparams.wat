;; Loops with parameters (a type index with params: not wrapped) and a
;; loop whose type index has no params and two results (wrapped). Exits
;; with a value computed by all three, so the differential test compares
;; the instrumented run with the original's.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (type $count (func (param i32) (result i32)))
  (type $pair (func (param i32 i32) (result i32 i32)))
  (type $two (func (result i32 i32)))
  (memory (export "memory") 1)
  ;; counts n down to 0 on the loop's parameter, adding to acc
  (func $down (param $n i32) (result i32)
    (local $acc i32)
    (local.get $n)
    (loop $l (type $count)
      (local.set $n)
      (local.set $acc (i32.add (local.get $acc) (local.get $n)))
      (local.get $n)
      (if (param i32) (result i32) (i32.eqz (local.get $n))
        (then)
        (else (i32.sub (i32.const 1)) (br $l))))
    (drop)
    (local.get $acc))
  ;; Fibonacci on the loop's two parameters
  (func $fib (param $k i32) (result i32)
    (i32.const 0) (i32.const 1)
    (loop $l (type $pair)
      (local.set $k (i32.sub (local.get $k) (i32.const 1)))
      (if (param i32 i32) (result i32 i32) (i32.gt_s (local.get $k) (i32.const 0))
        (then
          (call $step)
          (br $l))))
    (drop))
  (func $step (param i32 i32) (result i32 i32)
    (local.get 1) (i32.add (local.get 0) (local.get 1)))
  ;; a loop of type index without params, two results
  (func $twice (param $n i32) (result i32)
    (loop $l (type $two)
      (local.set $n (i32.sub (local.get $n) (i32.const 1)))
      (br_if $l (i32.gt_s (local.get $n) (i32.const 0)))
      (local.get $n) (i32.const 7))
    (i32.add))
  (func (export "_start")
    (call $exit
      (i32.and
        (i32.add (i32.add (call $down (i32.const 10)) (call $fib (i32.const 10)))
                 (call $twice (i32.const 5)))
        (i32.const 255)))))
