;; badstatus.wat: writes an out of range CGI status ("Status: 1000 Nope").
;; Build: wat2wasm badstatus.wat -o badstatus.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=46} at 0; nwritten at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\2e\00\00\00")
  (data (i32.const 16) "Status: 1000 Nope\nContent-Type: text/plain\n\nx\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
