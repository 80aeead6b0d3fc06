;; Calls the spin instance's export (wired by the resolver).
(module
  (import "spin" "spin" (func $spin))
  (func (export "handle") (result i32) (call $spin) (i32.const 0)))
