;; runaway.wat: a misbehaving rule: it never returns. Every call is killed
;; at the rules engine's per-call timeout; the other rules are unaffected.
;; Build: wat2wasm runaway.wat -o runaway.wasm
(module
  (memory (export "memory") 1)
  (func (export "evaluate") (result i32)
    (loop $forever (br $forever))
    (i32.const 0)))
