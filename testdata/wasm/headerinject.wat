;; headerinject.wat: writes headers that must not reach the client as written: an
;; invalid header name containing a space ("Bad Header") and a bare CR inside a
;; value ("X-Evil: a\rSet-Cookie: b") that would smuggle in a second header.
;; Build: wat2wasm headerinject.wat -o headerinject.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=80} at 0; nwritten at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\50\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\nX-Ok: fine\nBad Header: x\nX-Evil: a\rSet-Cookie: b\n\nbody\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
