;; memgrow.wat: starts with 1 page (64 KiB) and no maximum, grows its memory
;; by 16 pages (1 MiB) at a time until memory.grow returns -1, then writes
;; "Content-Type: text/plain\n\ngrew to N pages\n" with N the final page
;; count, so a test can check that the memory limit held.
;; Build: wat2wasm memgrow.wat -o memgrow.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; 0..7: iovec, 8..11: nwritten, 16..31: digit buffer, 64: text.
  (data (i32.const 64) "Content-Type: text/plain\n\ngrew to ")
  (data (i32.const 128) " pages\n")

  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; $utoa writes n in decimal so that it ends at address 32 and returns the
  ;; address of its first byte.
  (func $utoa (param $n i32) (result i32)
    (local $p i32)
    (local.set $p (i32.const 32))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (local.get $p))

  (func (export "_start")
    (local $p i32)
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $grow)))
    (call $write (i32.const 64) (i32.const 34))
    (local.set $p (call $utoa (memory.size)))
    (call $write (local.get $p) (i32.sub (i32.const 32) (local.get $p)))
    (call $write (i32.const 128) (i32.const 7)))
)
