;; hello.wat: the smallest useful Wisp app, written by hand in WebAssembly text.
;;
;; Build: wat2wasm hello.wat -o hello.wasm
;;   (or scripts/build-guests.sh from the repository root, which rebuilds every guest)
;;
;; A Wisp app is a WASI preview1 command module: the node calls its exported
;; _start once per request. Whatever the module writes to stdout (fd 1) is a
;; CGI response: header lines, a blank line, then the body.
(module
  ;; fd_write(fd, iovs, iovs_len, nwritten_ptr) -> errno writes the buffers
  ;; described by an array of iovecs {ptr: u32, len: u32}.
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))

  ;; WASI functions read and write the module's exported memory.
  (memory (export "memory") 1)

  ;; One iovec at address 0 pointing at the response at address 16
  ;; (43 bytes); fd_write stores the byte count it wrote at address 8.
  (data (i32.const 0) "\10\00\00\00" "\2b\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\n\nHello from Wisp!\n")

  (func (export "_start")
    (drop (call $fd_write
      (i32.const 1)    ;; stdout
      (i32.const 0)    ;; iovecs
      (i32.const 1)    ;; one iovec
      (i32.const 8)))) ;; where to store the count written
)
