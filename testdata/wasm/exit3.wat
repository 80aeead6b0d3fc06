;; exit3.wat: writes a complete response, then calls proc_exit(3), so a
;; test can check how a non-zero exit status after a valid response is
;; treated.
;; Build: wat2wasm exit3.wat -o exit3.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=48} at 0; nwritten at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\30\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\n\nexiting with status 3\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (call $proc_exit (i32.const 3)))
)
