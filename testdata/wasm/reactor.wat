;; reactor.wat: a reactor (exports _initialize and wisp_handle) whose
;; answer shows whether it started from its pre-initialized snapshot and
;; whether anything a previous request wrote survived.
;;
;; _initialize sets $count to 5 and $inited to 42, grows memory by a page and
;; writes the marker "I" at 65536. Each wisp_handle adds 1 to $count and
;; overwrites the marker with "L", so every request of a correctly
;; snapshotted, fresh instance answers "6I\n"; a leak of a previous request's
;; globals or memory shows as "7", "L" or "X".
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))
  (global $inited (mut i64) (i64.const 0))
  (data (i32.const 0) "Content-Type: text/plain\n\n")
  (func (export "_initialize")
    (global.set $inited (i64.const 42))
    (global.set $count (i32.const 5))
    (drop (memory.grow (i32.const 1)))
    (i32.store8 (i32.const 65536) (i32.const 0x49)))
  (func (export "wisp_handle")
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (i32.store8 (i32.const 26) (i32.add (i32.const 48) (global.get $count)))
    (i32.store8 (i32.const 27) (i32.load8_u (i32.const 65536)))
    (i32.store8 (i32.const 28)
      (select (i32.const 0x0a) (i32.const 0x58) (i64.eq (global.get $inited) (i64.const 42))))
    (i32.store8 (i32.const 65536) (i32.const 0x4c))
    (i32.store (i32.const 100) (i32.const 0))
    (i32.store (i32.const 104) (i32.const 29))
    (drop (call $fd_write (i32.const 1) (i32.const 100) (i32.const 1) (i32.const 200)))))
