;; spin.wat: writes "spinning\n" to stdout, then writes to every word of its
;; two pages forever. Tests close the engine under it: the instance must be
;; killed without its memory being freed while it still writes.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 0) "spinning\n")
  (func $spin (local $i i32)
    (i32.store (i32.const 16) (i32.const 0))
    (i32.store (i32.const 20) (i32.const 9))
    (drop (call $fd_write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))
    (loop $forever
      (i32.store (i32.and (local.get $i) (i32.const 0x1fffc)) (i32.const 0x41414141))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br $forever)))
  (func (export "_start") (call $spin)))
