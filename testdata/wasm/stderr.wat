;; stderr.wat: writes "log line from guest\n" to stderr (fd 2), which goes to
;; the app log, then answers "Content-Type: text/plain\n\nok\n" on stdout.
;; Build: wat2wasm stderr.wat -o stderr.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovecs {64, 20} at 0 and {96, 29} at 16; nwritten at 8.
  (data (i32.const 0) "\40\00\00\00" "\14\00\00\00")
  (data (i32.const 16) "\60\00\00\00" "\1d\00\00\00")
  (data (i32.const 64) "log line from guest\n")
  (data (i32.const 96) "Content-Type: text/plain\n\nok\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 2) (i32.const 0) (i32.const 1) (i32.const 8)))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 8))))
)
