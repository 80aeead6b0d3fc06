;; priv.wat: a step with a memory of its own, not exported
;; (TestPrivateMemoryIsFresh): run reports word 0 of that memory and its
;; size, then writes a secret there that no later run may see.
;; Build: wat2wasm priv.wat
(module
  (import "wisp:host" "h0" (func $report (param i32 i32)))
  (memory 1)
  (func (export "run")
    (call $report (i32.load (i32.const 0)) (memory.size))
    (i32.store (i32.const 0) (i32.const 0x5EC4E7))))
