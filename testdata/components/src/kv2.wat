;; kv2.wat: a preview 1 command that uses wasi:keyvalue@0.2.0-draft2
;; directly (world kv2.wit); build.sh embeds the world and wraps it with jco
;; new --wasi-command into ../extra/kv2.wasm. In the store "default" it
;; increments "hits" by 1 (a signed delta), sets "word" to "hello" through
;; a cas (compare-and-swap), and reads "word" and "nope" with get-many,
;; writing a CGI response:
;;   Content-Type: text/plain
;;
;;   open: ok
;;   increment: N          (the new value of hits)
;;   swap: ok
;;   get-many: word=hello nope=none
;; A failed call writes "error" for its result and stops.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi:keyvalue/store@0.2.0-draft2" "open"
    (func $open (param i32 i32 i32)))
  (import "wasi:keyvalue/atomics@0.2.0-draft2" "increment"
    (func $increment (param i32 i32 i32 i64 i32)))
  (import "wasi:keyvalue/atomics@0.2.0-draft2" "[static]cas.new"
    (func $cas_new (param i32 i32 i32 i32)))
  (import "wasi:keyvalue/atomics@0.2.0-draft2" "swap"
    (func $swap (param i32 i32 i32 i32)))
  (import "wasi:keyvalue/batch@0.2.0-draft2" "get-many"
    (func $get_many (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 0x8000))

  ;; 0x00 iovec, 0x08 nwritten, 0x20 digits (20), 0x40 the return area
  ;; (16 bytes, 8-aligned), 0x60 the get-many key list (2 x (ptr, len)),
  ;; 0x100 strings, 0x8000 the heap (cabi_realloc).
  (data (i32.const 0x100) "Content-Type: text/plain\n\n")   ;; 26
  (data (i32.const 0x120) "open: ")                         ;; 6
  (data (i32.const 0x128) "increment: ")                    ;; 11
  (data (i32.const 0x138) "swap: ")                         ;; 6
  (data (i32.const 0x140) "get-many:")                      ;; 9
  (data (i32.const 0x150) "ok")                             ;; 2
  (data (i32.const 0x154) "error")                          ;; 5
  (data (i32.const 0x15c) "\n")                             ;; 1
  (data (i32.const 0x160) "default")                        ;; 7
  (data (i32.const 0x168) "hits")                           ;; 4
  (data (i32.const 0x170) "word")                           ;; 4
  (data (i32.const 0x178) "hello")                          ;; 5
  (data (i32.const 0x180) "nope")                           ;; 4
  (data (i32.const 0x188) " ")                              ;; 1
  (data (i32.const 0x18c) "=")                              ;; 1
  (data (i32.const 0x190) "none")                           ;; 4

  (func (export "cabi_realloc") (param $old i32) (param $old_size i32) (param $align i32) (param $size i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get $align) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get $align))))
    (global.set $heap (i32.add (local.get $p) (local.get $size)))
    (if (i32.gt_u (global.get $heap) (i32.mul (memory.size) (i32.const 65536)))
      (then (if (i32.eq (memory.grow (i32.add (i32.shr_u (local.get $size) (i32.const 16)) (i32.const 1))) (i32.const -1))
        (then unreachable))))
    (local.get $p))

  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func $nl (call $print (i32.const 0x15c) (i32.const 1)))

  ;; $u64 prints n (non-negative) in decimal.
  (func $u64 (param $n i64) (local $i i32)
    (local.set $i (i32.const 20))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i64.store8 (i32.add (i32.const 0x20) (local.get $i))
        (i64.add (i64.const 48) (i64.rem_u (local.get $n) (i64.const 10))))
      (local.set $n (i64.div_u (local.get $n) (i64.const 10)))
      (br_if $l (i64.ne (local.get $n) (i64.const 0))))
    (call $print (i32.add (i32.const 0x20) (local.get $i)) (i32.sub (i32.const 20) (local.get $i))))

  ;; $check prints "error" and a newline and returns 1 when the result at
  ;; 0x40 is an error.
  (func $failed (result i32)
    (if (i32.load8_u (i32.const 0x40))
      (then (call $print (i32.const 0x154) (i32.const 5)) (call $nl) (return (i32.const 1))))
    (i32.const 0))

  (func (export "_start") (local $b i32) (local $cas i32) (local $list i32) (local $n i32) (local $i i32) (local $e i32)
    (call $print (i32.const 0x100) (i32.const 26))
    (call $print (i32.const 0x120) (i32.const 6))
    (call $open (i32.const 0x160) (i32.const 7) (i32.const 0x40))
    (if (call $failed) (then (return)))
    (local.set $b (i32.load (i32.const 0x44)))
    (call $print (i32.const 0x150) (i32.const 2)) (call $nl)

    (call $print (i32.const 0x128) (i32.const 11))
    (call $increment (local.get $b) (i32.const 0x168) (i32.const 4) (i64.const 1) (i32.const 0x40))
    (if (call $failed) (then (return)))
    (call $u64 (i64.load (i32.const 0x48))) (call $nl)

    (call $print (i32.const 0x138) (i32.const 6))
    (call $cas_new (local.get $b) (i32.const 0x170) (i32.const 4) (i32.const 0x40))
    (if (call $failed) (then (return)))
    (local.set $cas (i32.load (i32.const 0x44)))
    (call $swap (local.get $cas) (i32.const 0x178) (i32.const 5) (i32.const 0x40))
    (if (call $failed) (then (return)))
    (call $print (i32.const 0x150) (i32.const 2)) (call $nl)

    (call $print (i32.const 0x140) (i32.const 9))
    (i32.store (i32.const 0x60) (i32.const 0x170)) (i32.store (i32.const 0x64) (i32.const 4))
    (i32.store (i32.const 0x68) (i32.const 0x180)) (i32.store (i32.const 0x6c) (i32.const 4))
    (call $get_many (local.get $b) (i32.const 0x60) (i32.const 2) (i32.const 0x40))
    (if (call $failed) (then (return)))
    (local.set $list (i32.load (i32.const 0x44)))
    (local.set $n (i32.load (i32.const 0x48)))
    ;; each element: option tag at +0, then (key ptr, len, value ptr, len) at +4
    (block $done (loop $l
      (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
      (local.set $e (i32.add (local.get $list) (i32.mul (local.get $i) (i32.const 20))))
      (call $print (i32.const 0x188) (i32.const 1))
      (if (i32.load8_u (local.get $e))
        (then
          (call $print (i32.load (i32.add (local.get $e) (i32.const 4))) (i32.load (i32.add (local.get $e) (i32.const 8))))
          (call $print (i32.const 0x18c) (i32.const 1))
          (call $print (i32.load (i32.add (local.get $e) (i32.const 12))) (i32.load (i32.add (local.get $e) (i32.const 16)))))
        (else
          ;; the key asked for, from the key list
          (call $print (i32.load (i32.add (i32.const 0x60) (i32.mul (local.get $i) (i32.const 8))))
                       (i32.load (i32.add (i32.const 0x64) (i32.mul (local.get $i) (i32.const 8)))))
          (call $print (i32.const 0x18c) (i32.const 1))
          (call $print (i32.const 0x190) (i32.const 4))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br $l)))
    (call $nl)))
