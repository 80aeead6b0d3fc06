;; counter.wat: proves every request gets a fresh instance.
;; A mutable global starts at 0 and _start increments it, then writes
;; "Content-Type: text/plain\n\ncount=N\n". A fresh instance always prints
;; count=1; an instance reused across requests would print 2, 3, ...
;; Build: wat2wasm counter.wat -o counter.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (global $count (mut i32) (i32.const 0))

  ;; 0..7: iovec, 8..11: nwritten, 16..31: digit buffer, 64: text.
  (data (i32.const 64) "Content-Type: text/plain\n\ncount=")

  (func $write (param $fd i32) (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; $utoa writes n in decimal followed by "\n" so that it ends at address 32
  ;; and returns the address of its first byte.
  (func $utoa (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (i32.const 31))
    (i32.store8 (local.get $p) (i32.const 10)) ;; '\n'
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (local.get $p))

  (func (export "_start")
    (local $p i32)
    (global.set $count (i32.add (global.get $count) (i32.const 1)))
    (call $write (i32.const 1) (i32.const 64) (i32.const 32))
    (local.set $p (call $utoa (global.get $count)))
    (call $write (i32.const 1) (local.get $p) (i32.sub (i32.const 32) (local.get $p))))
)
