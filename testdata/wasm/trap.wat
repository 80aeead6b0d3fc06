;; trap.wat: _start executes `unreachable`, so every invocation traps before
;; writing anything.
;; Build: wat2wasm trap.wat -o trap.wasm (or scripts/build-guests.sh)
(module
  (memory (export "memory") 1)
  (func (export "_start")
    unreachable)
)
