;; nostart.wat: a valid module that exports memory and a function "handle"
;; but no _start, so it is not a WASI command and deploying it must fail.
;; Build: wat2wasm nostart.wat -o nostart.wasm (or scripts/build-guests.sh)
(module
  (memory (export "memory") 1)
  (func (export "handle")))
