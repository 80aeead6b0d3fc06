;; recursion.wat: _start calls a function that calls itself without end
;; (not a tail call: each frame waits for the next one's result), so the
;; engine's call stack overflows and the instance traps.
;; Build: wat2wasm recursion.wat -o recursion.wasm (or ./build.sh)
(module
  (memory (export "memory") 1)
  (func $down (param $depth i64) (result i64)
    (i64.add
      (call $down (i64.add (local.get $depth) (i64.const 1)))
      (i64.const 1)))
  (func (export "_start")
    (drop (call $down (i64.const 0))))
)
