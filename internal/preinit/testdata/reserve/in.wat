;; Input of TestReserve: memory.size and memory.grow in a function that
;; also calls an import, a declared maximum, and a global.
;; Build: wat2wasm in.wat -o in.wasm
(module
  (import "env" "f" (func $f (param i32)))
  (import "env" "g" (global i32))
  (memory (export "memory") 1 5)
  (global $h (mut i32) (i32.const 7))
  (func (export "run") (result i32)
    (call $f (memory.grow (i32.const 1)))
    (block (result i32)
      (memory.size))))
