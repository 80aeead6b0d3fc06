;; bigmem.wat: declares a 2 GiB minimum memory (32768 pages of 64 KiB), more
;; than the default memory limit, so deploying it must be refused. Were it
;; run, it would write "Content-Type: text/plain\n\nbig memory\n".
;; Build: wat2wasm bigmem.wat -o bigmem.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 32768)
  (data (i32.const 0) "\10\00\00\00" "\25\00\00\00")
  (data (i32.const 16) "Content-Type: text/plain\n\nbig memory\n")
  (func (export "_start")
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
