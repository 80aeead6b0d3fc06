;; reactor-initctl.wat: a reactor whose initialization writes control bytes,
;; invalid UTF-8 and a terminal escape sequence to stderr, then traps: its
;; deploy must fail with that stderr in the error, made safe for HTTP
;; headers and terminals (internal/headertext), never as a transport error.
;; Build: wat2wasm reactor-initctl.wat -o reactor-initctl.wasm
;;
;; stderr, 71 bytes: "booting" NUL SOH ESC "[31m red" ESC "[0m" CR LF
;; "config \ etc" TAB "été " 0xff DEL " missing: set DATABASE_URL"
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "booting\00\01\1b[31m red\1b[0m\0d\0aconfig \\ etc\09\c3\a9t\c3\a9 \ff\7f missing: set DATABASE_URL")
  (func (export "_initialize")
    (i32.store (i32.const 100) (i32.const 0))
    (i32.store (i32.const 104) (i32.const 71))
    (drop (call $fd_write (i32.const 2) (i32.const 100) (i32.const 1) (i32.const 200)))
    unreachable)
  (func (export "wisp_handle")))
