;; cpuhostloop.wat: a loop that only calls a host function
;; (clock_time_get), forever.
;; Build: wat2wasm cpuhostloop.wat -o cpuhostloop.wasm (or ./build.sh)
(module
  (import "wasi_snapshot_preview1" "clock_time_get"
    (func $clock (param i32 i64 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever
      (drop (call $clock (i32.const 1) (i64.const 0) (i32.const 0)))
      (br $forever)))
)
