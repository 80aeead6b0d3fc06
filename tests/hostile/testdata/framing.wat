;; framing.wat: sets the framing headers the gateway must own (Content-Length: 0,
;; Transfer-Encoding: chunked, Connection) and writes a body that looks
;; like a second HTTP response, to split the response stream.
;; Build: wat2wasm framing.wat -o framing.wasm (or ./build.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=149} at 0; bytes written at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\95\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\nContent-Length: 0\nTransfer-Encoding: chunked\nConnection: keep-alive\n\nHTTP/1.1 200 OK\r\nX-Smuggled: yes\r\nContent-Length: 0\r\n\r\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
