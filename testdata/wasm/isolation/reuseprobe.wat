;; reuseprobe.wat: like memprobe, but never grows its memory on its own,
;; never changes its table and never drops a data segment, so Wisp can run
;; its reactor's requests on reused instances (internal/engine/reuse.go).
;; It reports whether memory, memory size, globals or table hold anything
;; a previous request left behind, then leaves its own secret everywhere.
;;
;; State right after $init (the state every request must start from):
;; 16 pages ($init grows the declared 1 to 16); the active data segment at
;; 0x400..0x4fe holds bytes 1, 2, ..., 255; 0x10000..0x10fff (written by
;; $init) holds ((addr*7) & 0xff) | 1; every other byte is zero; g32 =
;; 4916, g64 = 0x1122334455667777 (hi 287454020, lo 1432778615), the
;; exported global "counter" = 8 ($init changes each from its declared
;; value); the table holds functions returning 100 and 101.
;;
;; $handle, on every request:
;;  1. notes the page count and compares every byte of memory (all pages it
;;     has now: a previous request's growth is scanned too) with the state
;;     above;
;;  2. reads its arguments (the query's elements: "mode=M", "secret=S");
;;  3. writes the report below;
;;  4. overwrites every page, data segment included, with S repeated, and
;;     adds 1 to every global;
;;  5. per mode: ok returns; exit0 and exit7 call proc_exit(0) and (7);
;;     trap runs unreachable; oob loads past the end of memory; loop spins
;;     forever; sleep sleeps 60 s in poll_oneoff, then spins; grow grows
;;     memory by a page, fills it with S and returns; close closes stdout
;;     (fd_close(1)) and returns; twice is ok, but steps 4 and 1 are run
;;     once more before step 3, so its report shows what a reused instance
;;     that was not reset would see (the probe's own self-test).
;;
;; Report (the CGI body; near is the hex of up to 32 bytes from first):
;;   pages=16\nforeign=0\nfirst=none\nnear=\nglobals=4916 287454020 1432778615 8\n
;;   table=100 101\nmode=ok\nsecret=S\n
;;
;; Entry points: reuseprobe.wasm is a command (_start runs $init, then
;; $handle); reuseprobe-reactor.wasm is built by scripts/build-guests.sh from
;; this file with the lines marked "command" removed and the ones marked
;; "reactor" uncommented: _initialize is $init and wisp_handle is $handle.
;; The command declares its memory at 16 pages, so $init grows nothing and
;; Wisp runs its requests on reused instances too (a command's instance is
;; reset to its state before _start: internal/engine/reuse_command.go);
;; its _start traps when run twice on one instance without its globals
;; reset. The reactor declares 1 page, grown to 16 by $init.
;; Build: wat2wasm reuseprobe.wat -o reuseprobe.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (memory (export "memory") 16) ;; command
  ;;reactor (memory (export "memory") 1)

  ;; Memory layout (page 0 is scratch once the scan is done):
  ;;   0x0000  iovec (8), nwritten (4) at 0x8, argc at 0x10, argv size at
  ;;           0x14, nevents at 0x20, poll subscription at 0x40 (48 bytes),
  ;;           poll event at 0x80 (32 bytes)
  ;;   0x0400  the data segment image, 255 bytes
  ;;   0x1000  $text, copied from the passive segment for each report
  ;;   0x2000  argv pointers (up to 1024)
  ;;   0x3000  argv strings (up to 16 KiB)
  ;;   0x8000  the report being written (up to 16 KiB)
  ;;   0xc000  this request's secret (up to 255 bytes)
  ;;   0x10000 the region $init writes (page 1)
  (data (i32.const 0x400)
    "\01\02\03\04\05\06\07\08\09\0a\0b\0c\0d\0e\0f\10\11\12\13\14\15\16\17\18\19\1a\1b\1c\1d\1e\1f\20"
    "\21\22\23\24\25\26\27\28\29\2a\2b\2c\2d\2e\2f\30\31\32\33\34\35\36\37\38\39\3a\3b\3c\3d\3e\3f\40"
    "\41\42\43\44\45\46\47\48\49\4a\4b\4c\4d\4e\4f\50\51\52\53\54\55\56\57\58\59\5a\5b\5c\5d\5e\5f\60"
    "\61\62\63\64\65\66\67\68\69\6a\6b\6c\6d\6e\6f\70\71\72\73\74\75\76\77\78\79\7a\7b\7c\7d\7e\7f\80"
    "\81\82\83\84\85\86\87\88\89\8a\8b\8c\8d\8e\8f\90\91\92\93\94\95\96\97\98\99\9a\9b\9c\9d\9e\9f\a0"
    "\a1\a2\a3\a4\a5\a6\a7\a8\a9\aa\ab\ac\ad\ae\af\b0\b1\b2\b3\b4\b5\b6\b7\b8\b9\ba\bb\bc\bd\be\bf\c0"
    "\c1\c2\c3\c4\c5\c6\c7\c8\c9\ca\cb\cc\cd\ce\cf\d0\d1\d2\d3\d4\d5\d6\d7\d8\d9\da\db\dc\dd\de\df\e0"
    "\e1\e2\e3\e4\e5\e6\e7\e8\e9\ea\eb\ec\ed\ee\ef\f0\f1\f2\f3\f4\f5\f6\f7\f8\f9\fa\fb\fc\fd\fe\ff")

  ;; Strings, NUL-terminated; $puts and $find take their number.
  (data $text
    "Content-Type: text/plain\n\n\00" ;; 0
    "pages=\00"                       ;; 1
    "\nforeign=\00"                   ;; 2
    "\nfirst=\00"                     ;; 3
    "\nnear=\00"                      ;; 4
    "\nmode=\00"                      ;; 5
    "\nsecret=\00"                    ;; 6
    "\n\00"                           ;; 7
    "none\00"                         ;; 8
    "0123456789abcdef\00"             ;; 9
    "mode=\00"                        ;; 10
    "secret=\00"                      ;; 11
    "default-secret\00"               ;; 12
    "?\00"                            ;; 13
    "ok\00"                           ;; 14: the modes, in $mode order
    "exit0\00"                        ;; 15
    "exit7\00"                        ;; 16
    "trap\00"                         ;; 17
    "oob\00"                          ;; 18
    "loop\00"                         ;; 19
    "sleep\00"                        ;; 20
    "twice\00"                        ;; 21
    "grow\00"                         ;; 22
    "close\00"                        ;; 23
    "\nglobals=\00"                   ;; 24
    "\ntable=\00"                     ;; 25
    " \00")                           ;; 26
  (global $text_len i32 (i32.const 202)) ;; bytes in $text

  (global $g32 (mut i32) (i32.const 0x1234))
  (global $g64 (mut i64) (i64.const 0x1122334455667788))
  (global $counter (export "counter") (mut i32) (i32.const 7))

  (type $id (func (result i32)))
  (table $t 2 2 funcref)
  (elem (i32.const 0) $f0 $f1)
  (func $f0 (type $id) (i32.const 100))
  (func $f1 (type $id) (i32.const 101))

  (global $init_pages i32 (i32.const 16))
  (global $cur (mut i32) (i32.const 0)) ;; report write position

  ;; $expected is the byte at addr right after $init.
  (func $expected (param $addr i32) (result i32)
    (if (i32.and (i32.ge_u (local.get $addr) (i32.const 0x400))
                 (i32.lt_u (local.get $addr) (i32.const 0x4ff)))
      (then (return (i32.sub (local.get $addr) (i32.const 0x3ff)))))
    (if (i32.and (i32.ge_u (local.get $addr) (i32.const 0x10000))
                 (i32.lt_u (local.get $addr) (i32.const 0x11000)))
      (then (return (i32.or (i32.and (i32.mul (local.get $addr) (i32.const 7)) (i32.const 0xff))
                            (i32.const 1)))))
    (i32.const 0))

  (func $init
    (local $a i32)
    (if (i32.lt_u (memory.size) (global.get $init_pages))
      (then
        (if (i32.eq (memory.grow (i32.sub (global.get $init_pages) (memory.size))) (i32.const -1))
          (then unreachable))))
    (local.set $a (i32.const 0x10000))
    (loop $fill
      (i32.store8 (local.get $a) (call $expected (local.get $a)))
      (local.set $a (i32.add (local.get $a) (i32.const 1)))
      (br_if $fill (i32.lt_u (local.get $a) (i32.const 0x11000))))
    (global.set $g32 (i32.const 0x1334))
    (global.set $g64 (i64.const 0x1122334455667777))
    (global.set $counter (i32.const 8)))

  ;; $touch adds 1 to every global.
  (func $touch
    (global.set $g32 (i32.add (global.get $g32) (i32.const 1)))
    (global.set $g64 (i64.add (global.get $g64) (i64.const 1)))
    (global.set $counter (i32.add (global.get $counter) (i32.const 1))))

  ;; $scan compares memory [0, end) with the state after $init and returns
  ;; the number of bytes that differ and the address of the first (-1 if
  ;; none). Zero regions are read 8 bytes at a time.
  (func $scan (param $end i32) (result i32 i32)
    (local $a i32) (local $b i32) (local $count i32) (local $first i32)
    (local.set $first (i32.const -1))
    (loop $words
      (if (i32.or
            (i32.or (i64.ne (i64.load (local.get $a)) (i64.const 0))
                    (i32.and (i32.ge_u (local.get $a) (i32.const 0x400))
                             (i32.lt_u (local.get $a) (i32.const 0x500))))
            (i32.and (i32.ge_u (local.get $a) (i32.const 0x10000))
                     (i32.lt_u (local.get $a) (i32.const 0x11000))))
        (then
          (local.set $b (local.get $a))
          (loop $bytes
            (if (i32.ne (i32.load8_u (local.get $b)) (call $expected (local.get $b)))
              (then
                (local.set $count (i32.add (local.get $count) (i32.const 1)))
                (if (i32.lt_s (local.get $first) (i32.const 0))
                  (then (local.set $first (local.get $b))))))
            (local.set $b (i32.add (local.get $b) (i32.const 1)))
            (br_if $bytes (i32.lt_u (local.get $b) (i32.add (local.get $a) (i32.const 8)))))))
      (local.set $a (i32.add (local.get $a) (i32.const 8)))
      (br_if $words (i32.lt_u (local.get $a) (local.get $end))))
    (local.get $count) (local.get $first))

  ;; $dirty fills all of memory with the secret at 0xc000 (len bytes),
  ;; repeated: one copy at 0, then doubling.
  (func $dirty (param $len i32)
    (local $n i32) (local $total i32) (local $c i32)
    (local.set $total (i32.mul (memory.size) (i32.const 65536)))
    (memory.copy (i32.const 0) (i32.const 0xc000) (local.get $len))
    (local.set $n (local.get $len))
    (loop $double
      (local.set $c (local.get $n))
      (if (i32.gt_u (local.get $c) (i32.sub (local.get $total) (local.get $n)))
        (then (local.set $c (i32.sub (local.get $total) (local.get $n)))))
      (memory.copy (local.get $n) (i32.const 0) (local.get $c))
      (local.set $n (i32.add (local.get $n) (local.get $c)))
      (br_if $double (i32.lt_u (local.get $n) (local.get $total)))))

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

  ;; $puthex appends n bytes from p as lower case hex.
  (func $puthex (param $p i32) (param $n i32)
    (local $digits i32) (local $b i32)
    (local.set $digits (call $find (i32.const 9)))
    (block $end
      (loop $next
        (br_if $end (i32.eqz (local.get $n)))
        (local.set $b (i32.load8_u (local.get $p)))
        (call $putc (i32.load8_u (i32.add (local.get $digits) (i32.shr_u (local.get $b) (i32.const 4)))))
        (call $putc (i32.load8_u (i32.add (local.get $digits) (i32.and (local.get $b) (i32.const 15)))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))

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

  ;; $mode returns the index of the NUL-terminated mode name s among
  ;; strings 14..23 (0 for ok, 1 for exit0, ...), or -1.
  (func $mode (param $s i32) (result i32)
    (local $m i32) (local $p i32)
    (loop $next
      (local.set $p (call $find (i32.add (i32.const 14) (local.get $m))))
      (if (i32.and (call $has_prefix (local.get $s) (i32.add (i32.const 14) (local.get $m)))
                   (i32.eq (call $strlen (local.get $s)) (call $strlen (local.get $p))))
        (then (return (local.get $m))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $m) (i32.const 10))))
    (i32.const -1))

  ;; $sleep sleeps 60 s on the monotonic clock (see ../sleep.wat).
  (func $sleep
    (i64.store (i32.const 0x40) (i64.const 0))
    (i32.store8 (i32.const 0x48) (i32.const 0))
    (i32.store (i32.const 0x50) (i32.const 1))
    (i64.store (i32.const 0x58) (i64.const 60000000000))
    (i64.store (i32.const 0x60) (i64.const 0))
    (i32.store16 (i32.const 0x68) (i32.const 0))
    (drop (call $poll_oneoff (i32.const 0x40) (i32.const 0x80) (i32.const 1) (i32.const 0x20))))

  (func $handle
    (local $pages i32) (local $end i32) (local $foreign i32) (local $first i32)
    (local $m i32) (local $s i32) (local $len i32) (local $n i32)
    (local $g32v i32) (local $g64v i64) (local $counterv i32)
    ;; 1. Scan the globals and every byte of memory, before writing one.
    (local.set $g32v (global.get $g32))
    (local.set $g64v (global.get $g64))
    (local.set $counterv (global.get $counter))
    (local.set $pages (memory.size))
    (local.set $end (i32.mul (memory.size) (i32.const 65536)))
    (call $scan (local.get $end))
    (local.set $first)
    (local.set $foreign)

    ;; 2. Arguments.
    (memory.init $text (i32.const 0x1000) (i32.const 0) (global.get $text_len))
    (call $load_args)
    (local.set $m (i32.const 0))
    (local.set $s (call $arg (i32.const 10)))
    (if (local.get $s) (then (local.set $m (call $mode (local.get $s)))))
    (local.set $s (call $arg (i32.const 11)))
    (if (i32.eqz (local.get $s)) (then (local.set $s (call $find (i32.const 12)))))
    (local.set $len (call $strlen (local.get $s)))
    (if (i32.gt_u (local.get $len) (i32.const 255)) (then (local.set $len (i32.const 255))))
    (if (i32.eqz (local.get $len)) (then (local.set $s (call $find (i32.const 12)))
                                         (local.set $len (call $strlen (local.get $s)))))
    (memory.copy (i32.const 0xc000) (local.get $s) (local.get $len))

    (if (i32.eq (local.get $m) (i32.const 7)) ;; twice: what a reused instance would see
      (then
        (call $dirty (local.get $len))
        (call $touch)
        (local.set $g32v (global.get $g32))
        (local.set $g64v (global.get $g64))
        (local.set $counterv (global.get $counter))
        (call $scan (local.get $end))
        (local.set $first)
        (local.set $foreign)
        (memory.copy (i32.const 0xc000) (i32.const 0) (local.get $len))
        (memory.init $text (i32.const 0x1000) (i32.const 0) (global.get $text_len))))

    ;; 3. Report.
    (global.set $cur (i32.const 0x8000))
    (call $puts (i32.const 0))
    (call $puts (i32.const 1))
    (call $putu (local.get $pages))
    (call $puts (i32.const 2))
    (call $putu (local.get $foreign))
    (call $puts (i32.const 3))
    (if (i32.lt_s (local.get $first) (i32.const 0))
      (then (call $puts (i32.const 8)))
      (else (call $putu (local.get $first))))
    (call $puts (i32.const 4))
    (if (i32.ge_s (local.get $first) (i32.const 0))
      (then
        (local.set $n (i32.sub (local.get $end) (local.get $first)))
        (if (i32.gt_u (local.get $n) (i32.const 32)) (then (local.set $n (i32.const 32))))
        ;; In twice mode the bytes at first may have been overwritten by
        ;; the report's own scratch; they are only a hint.
        (call $puthex (local.get $first) (local.get $n))))
    (call $puts (i32.const 24))
    (call $putu (local.get $g32v))
    (call $puts (i32.const 26))
    (call $putu (i32.wrap_i64 (i64.shr_u (local.get $g64v) (i64.const 32))))
    (call $puts (i32.const 26))
    (call $putu (i32.wrap_i64 (local.get $g64v)))
    (call $puts (i32.const 26))
    (call $putu (local.get $counterv))
    (call $puts (i32.const 25))
    (call $putu (call_indirect $t (type $id) (i32.const 0)))
    (call $puts (i32.const 26))
    (call $putu (call_indirect $t (type $id) (i32.const 1)))
    (call $puts (i32.const 5))
    (if (i32.lt_s (local.get $m) (i32.const 0))
      (then (call $puts (i32.const 13)))
      (else (call $puts (i32.add (i32.const 14) (local.get $m)))))
    (call $puts (i32.const 6))
    (call $put (i32.const 0xc000) (local.get $len))
    (call $puts (i32.const 7))
    (call $flush)

    ;; 4. Leave the secret everywhere.
    (call $dirty (local.get $len))
    (call $touch)

    ;; 5. End as the mode says.
    (block $return
      (block $close (block $grow
      (block $twice (block $sleep (block $loop (block $oob (block $trap (block $exit7 (block $exit0 (block $ok
        (br_table $ok $exit0 $exit7 $trap $oob $loop $sleep $twice $grow $close $return (local.get $m)))
        (br $return))                                   ;; ok
        (call $proc_exit (i32.const 0)) (br $return))   ;; exit0
        (call $proc_exit (i32.const 7)) (br $return))   ;; exit7
        unreachable)                                    ;; trap
        (drop (i32.load (i32.const -4))) (br $return))  ;; oob
        (loop $forever (br $forever)))                  ;; loop
        (call $sleep)
        (loop $forever (br $forever)))                  ;; sleep
      (br $return))                                     ;; twice
        (if (i32.eq (memory.grow (i32.const 1)) (i32.const -1)) (then unreachable))
        (call $dirty (local.get $len))
        (br $return))                                   ;; grow
      (drop (call $fd_close (i32.const 1)))))           ;; close

  ;; The command's _start runs once per instance, as wasi-libc's does: on
  ;; an instance whose globals were not reset it traps.
  (global $started (mut i32) (i32.const 0))
  (func $start
    (if (global.get $started) (then unreachable))
    (global.set $started (i32.const 1))
    (call $init) (call $handle))

  (export "_start" (func $start)) ;; command
  ;;reactor (export "_initialize" (func $init)) (export "wisp_handle" (func $handle))
)
