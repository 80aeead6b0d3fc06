;; envprobe.wat: echoes everything a request hands the guest: its
;; environment, its arguments and its stdin.
;;
;; $handle writes this CGI body: every environment variable as returned
;; by environ_get, one "KEY=VALUE" per line in the order given; a line
;; "--"; every argument (argv[0] first), one per line; a line "--"; then
;; stdin as read (up to 64 KiB), nothing added. Then it ends per mode (the
;; query element "mode=M"): ok returns, exit7 calls proc_exit(7), trap
;; runs unreachable. $init does nothing: the environment must be the
;; request's, however the instance was made.
;;
;; Entry points: envprobe.wasm is a command (_start runs $init, then
;; $handle); envprobe-reactor.wasm is built by scripts/build-guests.sh from
;; this file with the line marked "command" removed and the one marked
;; "reactor" uncommented: _initialize is $init and wisp_handle is $handle.
;; Build: wat2wasm envprobe.wat -o envprobe.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_sizes_get"
    (func $environ_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get"
    (func $environ_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  (memory (export "memory") 3)

  ;; Memory layout:
  ;;   0x0000  iovec for fd_read (8); nread at 0x8; argc at 0x10, argv size
  ;;           at 0x14; environ count at 0x18, environ size at 0x1c
  ;;   0x0100  the six iovecs of the answer; nwritten at 0x200
  ;;   0x1000  $text
  ;;   0x2000  environ pointers (up to 1024)
  ;;   0x3000  argv pointers (up to 1024)
  ;;   0x4000  argv strings (up to 16 KiB)
  ;;   0x10000 environ strings (up to 64 KiB)
  ;;   0x20000 stdin (up to 64 KiB)
  (data $text
    "Content-Type: text/plain\n\n\00" ;; 0
    "--\n\00"                         ;; 1
    "mode=\00"                        ;; 2
    "ok\00"                           ;; 3: the modes, in $handle's order
    "exit7\00"                        ;; 4
    "trap\00")                        ;; 5
  (global $text_len i32 (i32.const 51))   ;; bytes in $text
  (global $first_mode i32 (i32.const 3)) ;; string number of the first mode
  (global $modes i32 (i32.const 3))

  (func $init)

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
        (local.set $s (i32.load (i32.add (i32.const 0x3000) (i32.shl (local.get $i) (i32.const 2)))))
        (if (call $has_prefix (local.get $s) (local.get $k))
          (then (return (i32.add (local.get $s) (call $strlen (call $find (local.get $k)))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.const 0))

  ;; $mode returns the index of the NUL-terminated mode name s among the
  ;; $modes strings from $first_mode (0 for ok, 1 for exit7, ...), or -1.
  (func $mode (param $s i32) (result i32)
    (local $m i32) (local $p i32)
    (loop $next
      (local.set $p (call $find (i32.add (global.get $first_mode) (local.get $m))))
      (if (i32.and (call $has_prefix (local.get $s) (i32.add (global.get $first_mode) (local.get $m)))
                   (i32.eq (call $strlen (local.get $s)) (call $strlen (local.get $p))))
        (then (return (local.get $m))))
      (local.set $m (i32.add (local.get $m) (i32.const 1)))
      (br_if $next (i32.lt_u (local.get $m) (global.get $modes))))
    (i32.const -1))

  ;; $lines turns the NULs ending each of n bytes at p into line feeds.
  (func $lines (param $p i32) (param $n i32)
    (block $end
      (loop $next
        (br_if $end (i32.eqz (local.get $n)))
        (if (i32.eqz (i32.load8_u (local.get $p)))
          (then (i32.store8 (local.get $p) (i32.const 10))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $next))))

  ;; $iovec sets iovec i of the answer to n bytes at p.
  (func $iovec (param $i i32) (param $p i32) (param $n i32)
    (i32.store (i32.add (i32.const 0x100) (i32.shl (local.get $i) (i32.const 3))) (local.get $p))
    (i32.store (i32.add (i32.const 0x104) (i32.shl (local.get $i) (i32.const 3))) (local.get $n)))

  (func $handle
    (local $m i32) (local $s i32) (local $in i32)
    (memory.init $text (i32.const 0x1000) (i32.const 0) (global.get $text_len))

    (if (call $environ_sizes_get (i32.const 0x18) (i32.const 0x1c)) (then unreachable))
    (if (i32.or (i32.gt_u (i32.load (i32.const 0x18)) (i32.const 1024))
                (i32.gt_u (i32.load (i32.const 0x1c)) (i32.const 0x10000)))
      (then unreachable))
    (if (call $environ_get (i32.const 0x2000) (i32.const 0x10000)) (then unreachable))

    (if (call $args_sizes_get (i32.const 0x10) (i32.const 0x14)) (then unreachable))
    (if (i32.or (i32.gt_u (i32.load (i32.const 0x10)) (i32.const 1024))
                (i32.gt_u (i32.load (i32.const 0x14)) (i32.const 0x4000)))
      (then unreachable))
    (if (call $args_get (i32.const 0x3000) (i32.const 0x4000)) (then unreachable))
    (local.set $s (call $arg (i32.const 2)))
    (if (local.get $s) (then (local.set $m (call $mode (local.get $s)))))

    ;; stdin, until EOF or 64 KiB
    (block $eof
      (loop $more
        (br_if $eof (i32.ge_u (local.get $in) (i32.const 0x10000)))
        (i32.store (i32.const 0) (i32.add (i32.const 0x20000) (local.get $in)))
        (i32.store (i32.const 4) (i32.sub (i32.const 0x10000) (local.get $in)))
        (if (call $fd_read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 8)) (then unreachable))
        (br_if $eof (i32.eqz (i32.load (i32.const 8))))
        (local.set $in (i32.add (local.get $in) (i32.load (i32.const 8))))
        (br $more)))

    (call $lines (i32.const 0x10000) (i32.load (i32.const 0x1c)))
    (call $lines (i32.const 0x4000) (i32.load (i32.const 0x14)))
    (call $iovec (i32.const 0) (call $find (i32.const 0)) (call $strlen (call $find (i32.const 0))))
    (call $iovec (i32.const 1) (i32.const 0x10000) (i32.load (i32.const 0x1c)))
    (call $iovec (i32.const 2) (call $find (i32.const 1)) (i32.const 3))
    (call $iovec (i32.const 3) (i32.const 0x4000) (i32.load (i32.const 0x14)))
    (call $iovec (i32.const 4) (call $find (i32.const 1)) (i32.const 3))
    (call $iovec (i32.const 5) (i32.const 0x20000) (local.get $in))
    (drop (call $fd_write (i32.const 1) (i32.const 0x100) (i32.const 6) (i32.const 0x200)))

    (block $return
      (block $trap (block $exit7 (block $ok
        (br_table $ok $exit7 $trap $return (local.get $m)))
        (br $return))                                   ;; ok
        (call $proc_exit (i32.const 7)) (br $return))   ;; exit7
      unreachable))                                     ;; trap

  (func $start (call $init) (call $handle))

  (export "_start" (func $start)) ;; command
  ;;reactor (export "_initialize" (func $init)) (export "wisp_handle" (func $handle))
)
