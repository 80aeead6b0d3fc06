;; status101.wat: answers "Status: 101 Switching Protocols" with Upgrade and
;; Connection headers: a guest trying to take over the client connection
;; (a 1xx status can never end a CGI response).
;; Build: wat2wasm status101.wat -o status101.wasm (or ./build.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=72} at 0; bytes written at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\48\00\00\00")
  (data (i32.const 16) "Status: 101 Switching Protocols\nUpgrade: websocket\nConnection: Upgrade\n\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
