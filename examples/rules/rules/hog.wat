;; hog.wat: a misbehaving rule: it grows its memory until refused, then
;; crashes. Every call stops at the per-call memory limit.
;; Build: wat2wasm hog.wat -o hog.wasm
(module
  (memory (export "memory") 1)
  (func (export "evaluate") (result i32)
    (loop $more
      (br_if $more (i32.ne (memory.grow (i32.const 16)) (i32.const -1))))
    unreachable))
