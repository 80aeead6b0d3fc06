;; version1.wat: version 1 of an app, for deploy and rollback tests. Writes "v1".
;; Build: wat2wasm version1.wat -o version1.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=29} at 0; nwritten at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\1d\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\n\nv1\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
