;; stateprobe.wat: reports its globals and its table, then changes them.
;;
;; State right after $init (the state every request must start from):
;; g32 = 0x1334, g64 = 0x1122334455667777, gf = 3.0 (bits 4008000000000000),
;; the exported global "counter" = 8 ($init changes each from its declared
;; value, so an instance with the declared values is caught too), and the
;; table as declared: 2 funcrefs whose functions return 100 and 101. ($init
;; leaves the table alone: Wisp's reactor snapshots do not capture table
;; changes made during initialization; see docs/reactors.md.)
;;
;; $handle, on every request, writes this report (the CGI body):
;;   g32=00001334\ng64=1122334455667777\ngf=4008000000000000\ncounter=8\n
;;   table=2: 100 101\nmode=ok\n
;; then changes every global, sets table slot 0 to a function returning
;; 102 and slot 1 to null, and grows the table by 5 with a function
;; returning 103, and ends per mode
;; (the query element "mode=M"): ok returns, exit7 calls proc_exit(7), trap
;; runs unreachable, loop spins forever; twice makes those changes before
;; the report, which then shows what a reused instance would see (the
;; probe's own self-test).
;;
;; Entry points: stateprobe.wasm is a command (_start runs $init, then
;; $handle); stateprobe-reactor.wasm is built by scripts/build-guests.sh
;; from this file with the line marked "command" removed and the one marked
;; "reactor" uncommented: _initialize is $init and wisp_handle is $handle.
;; Build: wat2wasm stateprobe.wat -o stateprobe.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  (memory (export "memory") 1)

  (global $g32 (mut i32) (i32.const 0x1234))
  (global $g64 (mut i64) (i64.const 0x1122334455667788))
  (global $gf (mut f64) (f64.const 1.5))
  (global $counter (export "counter") (mut i32) (i32.const 7))
  (global $cur (mut i32) (i32.const 0)) ;; report write position

  (type $id (func (result i32)))
  (table $t 2 16 funcref)
  (elem (i32.const 0) $f0 $f1)
  (elem declare func $f2 $f3)
  (func $f0 (type $id) (i32.const 100))
  (func $f1 (type $id) (i32.const 101))
  (func $f2 (type $id) (i32.const 102))
  (func $f3 (type $id) (i32.const 103))

  ;; Memory layout: iovec (8) and nwritten (4) at 0, argc at 0x10, argv
  ;; size at 0x14; $text at 0x1000; argv pointers at 0x2000 (up to 1024);
  ;; argv strings at 0x3000 (up to 16 KiB); the report at 0x8000.

  ;; Strings, NUL-terminated; $puts and $find take their number.
  (data $text
    "Content-Type: text/plain\n\n\00" ;; 0
    "g32=\00"                         ;; 1
    "\ng64=\00"                       ;; 2
    "\ngf=\00"                        ;; 3
    "\ncounter=\00"                   ;; 4
    "\ntable=\00"                     ;; 5
    ":\00"                            ;; 6
    " \00"                            ;; 7
    "null\00"                         ;; 8
    "0123456789abcdef\00"             ;; 9
    "mode=\00"                        ;; 10
    "\nmode=\00"                      ;; 11
    "\n\00"                           ;; 12
    "?\00"                            ;; 13
    "ok\00"                           ;; 14: the modes, in $handle's order
    "exit7\00"                        ;; 15
    "trap\00"                         ;; 16
    "loop\00"                         ;; 17
    "twice\00")                       ;; 18
  (global $text_len i32 (i32.const 129)) ;; bytes in $text
  (global $modes i32 (i32.const 5))

  (func $init
    (global.set $g32 (i32.add (global.get $g32) (i32.const 0x100)))
    (global.set $g64 (i64.xor (global.get $g64) (i64.const 0xff)))
    (global.set $gf (f64.mul (global.get $gf) (f64.const 2)))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))

  (func $change
    (global.set $g32 (i32.add (i32.mul (global.get $g32) (i32.const 31)) (i32.const 1)))
    (global.set $g64 (i64.add (global.get $g64) (i64.const 0x0101010101010101)))
    (global.set $gf (f64.add (f64.mul (global.get $gf) (f64.const 2)) (f64.const 1)))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1)))
    (table.set $t (i32.const 0) (ref.func $f2))
    (table.set $t (i32.const 1) (ref.null func))
    (if (i32.eq (table.grow $t (ref.func $f3) (i32.const 5)) (i32.const -1))
      (then unreachable)))

  ;; Strings and output.

  (func $strlen (param $p i32) (result i32)
    (local $q i32)
    (local.set $q (local.get $p))
    (block $end
      (loop $next
        (br_if $end (i32.eqz (i32.load8_u (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $next)))
    (i32.sub (local.get $q) (local.get $p)))

  ;; $find returns the address of string k of $text (copied at 0x1000).
  (func $find (param $k i32) (result i32)
    (local $p i32)
    (local.set $p (i32.const 0x1000))
    (block $found
      (loop $skip
        (br_if $found (i32.eqz (local.get $k)))
        (local.set $p (i32.add (local.get $p) (i32.add (call $strlen (local.get $p)) (i32.const 1))))
        (local.set $k (i32.sub (local.get $k) (i32.const 1)))
        (br $skip)))
    (local.get $p))

  (func $put (param $p i32) (param $n i32)
    (memory.copy (global.get $cur) (local.get $p) (local.get $n))
    (global.set $cur (i32.add (global.get $cur) (local.get $n))))

  (func $puts (param $k i32)
    (local $p i32)
    (local.set $p (call $find (local.get $k)))
    (call $put (local.get $p) (call $strlen (local.get $p))))

  (func $putc (param $c i32)
    (i32.store8 (global.get $cur) (local.get $c))
    (global.set $cur (i32.add (global.get $cur) (i32.const 1))))

  ;; $putu appends n in decimal.
  (func $putu (param $n i32)
    (if (i32.ge_u (local.get $n) (i32.const 10))
      (then (call $putu (i32.div_u (local.get $n) (i32.const 10)))))
    (call $putc (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10)))))

  ;; $putx appends the low 4*digits bits of v as that many hex digits.
  (func $putx (param $v i64) (param $digits i32)
    (local $hex i32)
    (local.set $hex (call $find (i32.const 9)))
    (loop $next
      (local.set $digits (i32.sub (local.get $digits) (i32.const 1)))
      (call $putc (i32.load8_u (i32.add (local.get $hex)
        (i32.wrap_i64 (i64.and (i64.shr_u (local.get $v) (i64.extend_i32_u (i32.shl (local.get $digits) (i32.const 2))))
                               (i64.const 15))))))
      (br_if $next (local.get $digits))))

  ;; $flush writes the report to stdout.
  (func $flush
    (i32.store (i32.const 0) (i32.const 0x8000))
    (i32.store (i32.const 4) (i32.sub (global.get $cur) (i32.const 0x8000)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; Arguments.

  (func $load_args
    (if (call $args_sizes_get (i32.const 0x10) (i32.const 0x14)) (then unreachable))
    (if (i32.or (i32.gt_u (i32.load (i32.const 0x10)) (i32.const 1024))
                (i32.gt_u (i32.load (i32.const 0x14)) (i32.const 0x4000)))
      (then unreachable))
    (if (call $args_get (i32.const 0x2000) (i32.const 0x3000)) (then unreachable)))

  ;; $has_prefix reports whether the NUL-terminated s starts with string k.
  (func $has_prefix (param $s i32) (param $k i32) (result i32)
    (local $p i32) (local $c i32)
    (local.set $p (call $find (local.get $k)))
    (loop $next
      (local.set $c (i32.load8_u (local.get $p)))
      (if (i32.eqz (local.get $c)) (then (return (i32.const 1))))
      (if (i32.ne (local.get $c) (i32.load8_u (local.get $s))) (then (return (i32.const 0))))
      (local.set $p (i32.add (local.get $p) (i32.const 1)))
      (local.set $s (i32.add (local.get $s) (i32.const 1)))
      (br $next))
    (i32.const 0))

  ;; $arg returns the value of the first argument starting with string k
  ;; (the prefix, such as "mode="), or 0 if there is none.
  (func $arg (param $k i32) (result i32)
    (local $i i32) (local $s i32)
    (block $none
      (loop $next
        (br_if $none (i32.ge_u (local.get $i) (i32.load (i32.const 0x10))))
        (local.set $s (i32.load (i32.add (i32.const 0x2000) (i32.shl (local.get $i) (i32.const 2)))))
        (if (call $has_prefix (local.get $s) (local.get $k))
          (then (return (i32.add (local.get $s) (call $strlen (call $find (local.get $k)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; $mode returns the index of the NUL-terminated mode name s among the
  ;; $modes strings from 14 (0 for ok, 1 for exit7, ...), or -1.
  (func $mode (param $s i32) (result i32)
    (local $m i32) (local $p i32)
    (loop $next
      (local.set $p (call $find (i32.add (i32.const 14) (local.get $m))))
      (if (i32.and (call $has_prefix (local.get $s) (i32.add (i32.const 14) (local.get $m)))
                   (i32.eq (call $strlen (local.get $s)) (call $strlen (local.get $p))))
        (then (return (local.get $m))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $m) (global.get $modes))))
    (i32.const -1))

  (func $handle
    (local $m i32) (local $s i32) (local $i i32)
    (memory.init $text (i32.const 0x1000) (i32.const 0) (global.get $text_len))
    (call $load_args)
    (local.set $s (call $arg (i32.const 10)))
    (if (local.get $s) (then (local.set $m (call $mode (local.get $s)))))
    (if (i32.eq (local.get $m) (i32.const 4)) (then (call $change))) ;; twice

    (global.set $cur (i32.const 0x8000))
    (call $puts (i32.const 0))
    (call $puts (i32.const 1))
    (call $putx (i64.extend_i32_u (global.get $g32)) (i32.const 8))
    (call $puts (i32.const 2))
    (call $putx (global.get $g64) (i32.const 16))
    (call $puts (i32.const 3))
    (call $putx (i64.reinterpret_f64 (global.get $gf)) (i32.const 16))
    (call $puts (i32.const 4))
    (call $putu (global.get $counter))
    (call $puts (i32.const 5))
    (call $putu (table.size $t))
    (call $puts (i32.const 6))
    (block $done
      (loop $slots
        (br_if $done (i32.ge_u (local.get $i) (table.size $t)))
        (call $puts (i32.const 7))
        (if (ref.is_null (table.get $t (local.get $i)))
          (then (call $puts (i32.const 8)))
          (else (call $putu (call_indirect $t (type $id) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $slots)))
    (call $puts (i32.const 11))
    (if (i32.lt_s (local.get $m) (i32.const 0))
      (then (call $puts (i32.const 13)))
      (else (call $puts (i32.add (i32.const 14) (local.get $m)))))
    (call $puts (i32.const 12))
    (call $flush)

    (call $change)
    (block $return
      (block $twice (block $loop (block $trap (block $exit7 (block $ok
        (br_table $ok $exit7 $trap $loop $twice $return (local.get $m)))
        (br $return))                                   ;; ok
        (call $proc_exit (i32.const 7)) (br $return))   ;; exit7
        unreachable)                                    ;; trap
        (loop $forever (br $forever)))                  ;; loop
      (br $return)))                                    ;; twice

  (func $start (call $init) (call $handle))

  (export "_start" (func $start)) ;; command
  ;;reactor (export "_initialize" (func $init)) (export "wisp_handle" (func $handle))
)
