;; The app's core module, as a preview 1 toolchain emits it: it defines
;; the component's main memory and imports WASI preview 1, which the
;; component satisfies with the shim's stubs (the adapter does not exist
;; yet when this is instantiated). handle returns the counter at 2048
;; before raising it: a fresh graph always returns 0.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1 16)
  (global $sp (export "__stack_pointer") (mut i32) (i32.const 65536))
  (global $heap (mut i32) (i32.const 4096))
  (data (i32.const 1024) "hello from a component graph\n")
  (func (export "handle") (result i32)
    (local $old i32)
    (i32.store (i32.const 512) (i32.const 1024))
    (i32.store (i32.const 516) (i32.const 29))
    (drop (call $fd_write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 520)))
    (local.set $old (i32.load (i32.const 2048)))
    (i32.store (i32.const 2048) (i32.add (local.get $old) (i32.const 1)))
    (local.get $old))
  ;; cabi_realloc(old, old_size, align, new_size): a bump allocator.
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (global.get $heap))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p)))
