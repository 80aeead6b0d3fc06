;; barecr.wat: a header value with a bare CR ("X-Evil: a\rSet-Cookie: ...")
;; that a lenient client would split into a second, injected header.
;; Build: wat2wasm barecr.wat -o barecr.wasm (or ./build.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; iovec {ptr=16, len=64} at 0; bytes written at 8; the output at 16.
  (data (i32.const 0) "\10\00\00\00" "\40\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\nX-Evil: a\rSet-Cookie: injected=1\n\nbody\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
