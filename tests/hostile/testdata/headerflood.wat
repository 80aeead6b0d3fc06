;; headerflood.wat: writes "Content-Type: text/plain\n", then 10,000 lines
;; of "X-Flood: yes\n" (one fd_write each), then "\nflood\n": a CGI header
;; far over the gateway's cap on header lines.
;; Build: wat2wasm headerflood.wat -o headerflood.wasm (or ./build.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovecs at 0 (ptr, len), 8, 16; bytes written at 24; text from 64.
  (data (i32.const 64) "Content-Type: text/plain\n")  ;; 25 bytes at 64
  (data (i32.const 96) "X-Flood: yes\n")              ;; 13 bytes at 96
  (data (i32.const 128) "\nflood\n")                  ;; 7 bytes at 128
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 24))))
  (func (export "_start")
    (local $i i32)
    (call $write (i32.const 64) (i32.const 25))
    (loop $lines
      (call $write (i32.const 96) (i32.const 13))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $lines (i32.lt_u (local.get $i) (i32.const 10000))))
    (call $write (i32.const 128) (i32.const 7)))
)
