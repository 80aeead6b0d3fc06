;; bigoutput.wat: writes "Content-Type: text/plain\n\n" then 64 MiB of 'x'
;; as 1024 fd_write calls of 64 KiB each, to test the response size limit.
;; It exits with status 1 as soon as a write fails.
;; Build: wat2wasm bigoutput.wat -o bigoutput.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  ;; Page 0: iovec at 0, nwritten at 8, headers at 16. Page 1: 64 KiB of 'x'.
  (memory (export "memory") 2)
  (data (i32.const 16) "Content-Type: text/plain\n\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))
      (then (call $proc_exit (i32.const 1)))))

  (func (export "_start")
    (local $i i32)
    ;; Fill page 1 with 'x', 8 bytes at a time.
    (local.set $i (i32.const 65536))
    (loop $fill
      (i64.store (local.get $i) (i64.const 0x7878787878787878))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 131072))))
    (call $write (i32.const 16) (i32.const 26))
    (local.set $i (i32.const 0))
    (loop $body
      (call $write (i32.const 65536) (i32.const 65536))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $body (i32.lt_u (local.get $i) (i32.const 1024)))))
)
