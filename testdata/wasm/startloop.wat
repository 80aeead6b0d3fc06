;; startloop.wat: a WebAssembly start section that loops forever, which
;; runs whenever the module is instantiated, before _start. Deploy must
;; refuse it within a bounded time instead of hanging.
;; Build: wat2wasm startloop.wat -o startloop.wasm (or scripts/build-guests.sh)
(module
  (memory (export "memory") 1)
  (func $spin (loop $forever (br $forever)))
  (start $spin)
  (func (export "_start")))
