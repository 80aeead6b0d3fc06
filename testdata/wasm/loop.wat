;; loop.wat: _start loops forever without calling the host; the CPU
;; metering stops it at limits.cpu (3 fuel an iteration, docs/cpu.md), the
;; invocation timeout at its deadline, whichever comes first.
;; Build: wat2wasm loop.wat -o loop.wasm (or scripts/build-guests.sh)
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      (br $forever)))
)
