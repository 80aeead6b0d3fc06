;; loop.wat: _start loops forever without calling the host; only the
;; invocation timeout can stop it.
;; Build: wat2wasm loop.wat -o loop.wasm (or scripts/build-guests.sh)
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      (br $forever)))
)
