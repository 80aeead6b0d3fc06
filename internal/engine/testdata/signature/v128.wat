;; v128.wat: a core module whose "realloc" returns a v128, not an i32
;; (TestV128FunctionIsLeftToCall, TestComponentSignatures).
;; Build: wat2wasm v128.wat
(module
  (memory (export "memory") 1)
  (func (export "realloc") (param i32 i32 i32 i32) (result v128)
    (v128.const i64x2 16 32))
  (func (export "run")))
