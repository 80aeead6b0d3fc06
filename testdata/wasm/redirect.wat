;; redirect.wat: a CGI local redirect response: only a Location header and no body.
;; Build: wat2wasm redirect.wat -o redirect.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=41} at 0; nwritten at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\29\00\00\00")
  (data (i32.const 16) "Location: https://example.com/elsewhere\n\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
