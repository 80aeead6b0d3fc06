;; A one-step component graph whose runs grow the memory like a wrapped
;; preview 1 command's, and then as the host says: the fixture of
;; internal/engine's memory reserve tests (component_reserve_test.go).
;; Build: wat2wasm grow.wat -o grow.wasm
;;
;; run (the entry):
;;   1. memory.grow 1 before any host call (what the compile-time probe
;;      sees: the adapter's state page), then reads the first word of the
;;      page it got (a fresh instance's is 0) and writes a secret there;
;;   2. asks the host for n (h0) and grows the memory by n pages;
;;   3. asks the host for a mode (h1): 1 writes -1 to the last four bytes
;;      of the page past the memory it sees (out of bounds: a trap on a
;;      memory without a reserve, the control word on one); 2 traps;
;;   4. reports (h2) what it saw: the first grow's result, memory.size
;;      after it, the word read, the second grow's result, memory.size
;;      after it, and, if the second grow added pages, the last word of
;;      the first page it added (a reserve's old control page: 0), else 0.
(module
  (import "wisp:host" "h0" (func $n (result i32)))
  (import "wisp:host" "h1" (func $mode (result i32)))
  (import "wisp:host" "h2" (func $report (param i32 i32 i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (func (export "run")
    (local $g1 i32) (local $s1 i32) (local $old i32) (local $g2 i32) (local $s2 i32) (local $m i32)
    (local.set $g1 (memory.grow (i32.const 1)))
    (local.set $s1 (memory.size))
    (local.set $old (i32.load (i32.shl (local.get $g1) (i32.const 16))))
    (i32.store (i32.shl (local.get $g1) (i32.const 16)) (i32.const 0x5EC4E7))
    (local.set $g2 (memory.grow (call $n)))
    (local.set $s2 (memory.size))
    (local.set $m (call $mode))
    (if (i32.eq (local.get $m) (i32.const 1))
      (then (i32.store (i32.sub (i32.shl (i32.add (local.get $s2) (i32.const 1)) (i32.const 16)) (i32.const 4)) (i32.const -1))))
    (if (i32.eq (local.get $m) (i32.const 2))
      (then unreachable))
    (call $report (local.get $g1) (local.get $s1) (local.get $old) (local.get $g2) (local.get $s2)
      (if (result i32) (i32.gt_u (local.get $s2) (local.get $s1))
        (then (i32.load (i32.sub (i32.shl (i32.add (local.get $s1) (i32.const 1)) (i32.const 16)) (i32.const 4))))
        (else (i32.const 0))))))
