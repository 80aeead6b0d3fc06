;; main.wat: the main step of a two-step graph (TestPrivateMemoryIsFresh):
;; it defines and exports the main memory; grow grows it by a page, as the
;; preview 1 adapter's first call does. Build: wat2wasm main.wat
(module
  (memory (export "memory") 1)
  (func (export "grow") (drop (memory.grow (i32.const 1)))))
