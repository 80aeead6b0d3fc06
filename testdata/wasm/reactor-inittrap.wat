;; reactor-inittrap.wat: a reactor whose initialization prints a reason to
;; stderr and traps, so its deploy must fail with that reason.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory 1)
  (data (i32.const 0) "config missing: set DATABASE_URL")
  (func (export "_initialize")
    (i32.store (i32.const 100) (i32.const 0))
    (i32.store (i32.const 104) (i32.const 33))
    (drop (call $fd_write (i32.const 2) (i32.const 100) (i32.const 1) (i32.const 200)))
    unreachable)
  (func (export "wisp_handle")))
