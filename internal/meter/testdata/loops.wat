;; Function entries, nested loops, branches and calls to the host.
(module
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (result i32)))
  (func $sum (export "sum") (param $n i32) (result i32)
    (local $i i32) (local $acc i32)
    (block $done
      (loop $outer
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (loop $inner
          (local.set $acc (i32.add (local.get $acc) (i32.const 1)))
          (br_if $inner (i32.and (local.get $acc) (i32.const 3))))
        (if (i32.eqz (local.get $i))
          (then (drop (call $yield)))
          (else (nop)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $outer)))
    (local.get $acc))
  (func (export "twice") (param i32) (result i32)
    (i32.add (call $sum (local.get 0)) (call $sum (local.get 0)))))
