;; badimport.wat: imports function "foo" from module "env", which the node
;; does not provide (it provides only wasi_snapshot_preview1), so deploying
;; it must fail with an error naming the import.
;; Build: wat2wasm badimport.wat -o badimport.wasm (or scripts/build-guests.sh)
(module
  (import "env" "foo" (func $foo))
  (memory (export "memory") 1)
  (func (export "_start")
    (call $foo))
)
