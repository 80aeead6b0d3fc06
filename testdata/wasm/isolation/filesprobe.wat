;; filesprobe.wat: tries to write in every preopened directory, then
;; reports everything those directories hold.
;;
;; For each preopened directory (descriptors 3, 4, ... until
;; fd_prestat_get fails), in order, $handle writes these lines, where DIR
;; is the preopen's name and S the query element "secret=S":
;;   preopen FD DIR
;;   create DIR iso-shared.txt: R    path_open with O_CREAT|O_TRUNC; when
;;   create DIR iso-S.txt: R         it succeeds, S is written to the file
;;   create DIR /iso-S.txt: R        (an absolute path)
;;   mkdir DIR iso-S: R              path_create_directory
;;   list DIR: NAME NAME ...         fd_readdir, in the order returned
;;   read DIR NAME (fd N): CONTENT   for each regular file listed: its
;;                                   first 256 bytes, as read; the file is
;;                                   left open, so N shows the descriptors
;;                                   this instance has opened before
;; R is "ok" or "errno N" (WASI's numbering); a failed read is "read DIR
;; NAME: errno N". Then it ends per mode (the query element "mode=M"): ok
;; returns, exit7 calls proc_exit(7), trap runs unreachable.
;;
;; Entry points: filesprobe.wasm is a command (_start runs $init, then
;; $handle); filesprobe-reactor.wasm is built by scripts/build-guests.sh
;; from this file with the line marked "command" removed and the one marked
;; "reactor" uncommented: _initialize is $init and wisp_handle is $handle.
;; Build: wat2wasm filesprobe.wat -o filesprobe.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read"
    (func $fd_read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_close"
    (func $fd_close (param i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_get"
    (func $fd_prestat_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_prestat_dir_name"
    (func $fd_prestat_dir_name (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_readdir"
    (func $fd_readdir (param i32 i32 i32 i64 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_create_directory"
    (func $path_create_directory (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  (memory (export "memory") 2)

  ;; Memory layout:
  ;;   0x0000  iovec (8), nwritten/nread (4) at 0x8, argc at 0x10, argv
  ;;           size at 0x14, prestat at 0x20 (8), opened fd at 0x28,
  ;;           readdir bytes used at 0x2c
  ;;   0x0300  the preopen's name (up to 255 bytes)
  ;;   0x0400  "iso-S.txt", 0x500 "iso-S", 0x600 "/iso-S.txt"
  ;;   0x0700  S (up to 64 bytes)
  ;;   0x1000  $text
  ;;   0x2000  argv pointers (up to 1024)
  ;;   0x3000  argv strings (up to 16 KiB)
  ;;   0x8000  the answer being written (up to 32 KiB)
  ;;   0x10000 fd_readdir's buffer (32 KiB)
  ;;   0x18000 a file's content (256 bytes)
  (data $text
    "Content-Type: text/plain\n\n\00" ;; 0
    "preopen \00"                     ;; 1
    " \00"                            ;; 2
    "\n\00"                           ;; 3
    "create \00"                      ;; 4
    "mkdir \00"                       ;; 5
    "list \00"                        ;; 6
    "read \00"                        ;; 7
    ": \00"                           ;; 8
    "ok\00"                           ;; 9
    "errno \00"                       ;; 10
    " (fd \00"                        ;; 11
    "): \00"                          ;; 12
    "iso-shared.txt\00"               ;; 13
    "iso-\00"                         ;; 14
    ".txt\00"                         ;; 15
    "/\00"                            ;; 16
    "mode=\00"                        ;; 17
    "secret=\00"                      ;; 18
    "default-secret\00"               ;; 19
    "ok\00"                           ;; 20: the modes, in $handle's order
    "exit7\00"                        ;; 21
    "trap\00")                        ;; 22
  (global $text_len i32 (i32.const 160))    ;; bytes in $text
  (global $first_mode i32 (i32.const 20)) ;; string number of the first mode
  (global $modes i32 (i32.const 3))
  (global $cur (mut i32) (i32.const 0))   ;; answer write position
  (global $secret_len (mut i32) (i32.const 0))

  (func $init)

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

  ;; $result appends "ok" for errno 0, else "errno N".
  (func $result (param $errno i32)
    (if (i32.eqz (local.get $errno))
      (then (call $puts (i32.const 9)))
      (else (call $puts (i32.const 10)) (call $putu (local.get $errno)))))

  ;; $flush writes the answer to stdout.
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

  ;; File system.

  ;; $create appends "create DIR PATH: R\n" for creating the n bytes at p
  ;; in preopen fd, named by the nlen bytes at 0x300. A file it manages to
  ;; create gets the secret as its content.
  (func $create (param $fd i32) (param $nlen i32) (param $p i32) (param $n i32)
    (local $errno i32)
    (call $puts (i32.const 4))
    (call $put (i32.const 0x300) (local.get $nlen))
    (call $puts (i32.const 2))
    (call $put (local.get $p) (local.get $n))
    (call $puts (i32.const 8))
    ;; O_CREAT|O_TRUNC; rights fd_read|fd_write
    (local.set $errno (call $path_open (local.get $fd) (i32.const 0) (local.get $p) (local.get $n)
      (i32.const 9) (i64.const 66) (i64.const 0) (i32.const 0) (i32.const 0x28)))
    (call $result (local.get $errno))
    (call $puts (i32.const 3))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 0) (i32.const 0x700))
        (i32.store (i32.const 4) (global.get $secret_len))
        (drop (call $fd_write (i32.load (i32.const 0x28)) (i32.const 0) (i32.const 1) (i32.const 8)))
        (drop (call $fd_close (i32.load (i32.const 0x28)))))))

  ;; $list appends "list DIR: NAME ...\n", then a "read" line for each
  ;; regular file, for preopen fd named by the nlen bytes at 0x300.
  (func $list (param $fd i32) (param $nlen i32)
    (local $used i32) (local $pos i32) (local $namelen i32) (local $errno i32) (local $name i32)
    (call $puts (i32.const 6))
    (call $put (i32.const 0x300) (local.get $nlen))
    (call $puts (i32.const 8))
    (local.set $errno (call $fd_readdir (local.get $fd) (i32.const 0x10000) (i32.const 0x8000) (i64.const 0) (i32.const 0x2c)))
    (if (local.get $errno)
      (then (call $result (local.get $errno)) (call $puts (i32.const 3)) (return)))
    (local.set $used (i32.load (i32.const 0x2c)))
    ;; dirent: d_next u64, d_ino u64, d_namlen u32 at 16, d_type u8 at 20, name at 24
    (block $end
      (loop $next
        (br_if $end (i32.gt_u (i32.add (local.get $pos) (i32.const 24)) (local.get $used)))
        (local.set $namelen (i32.load (i32.add (i32.const 0x10010) (local.get $pos))))
        (br_if $end (i32.gt_u (i32.add (i32.add (local.get $pos) (i32.const 24)) (local.get $namelen)) (local.get $used)))
        (if (local.get $pos) (then (call $puts (i32.const 2))))
        (call $put (i32.add (i32.const 0x10018) (local.get $pos)) (local.get $namelen))
        (local.set $pos (i32.add (local.get $pos) (i32.add (i32.const 24) (local.get $namelen))))
        (br $next)))
    (call $puts (i32.const 3))

    (local.set $pos (i32.const 0))
    (block $end
      (loop $next
        (br_if $end (i32.gt_u (i32.add (local.get $pos) (i32.const 24)) (local.get $used)))
        (local.set $namelen (i32.load (i32.add (i32.const 0x10010) (local.get $pos))))
        (br_if $end (i32.gt_u (i32.add (i32.add (local.get $pos) (i32.const 24)) (local.get $namelen)) (local.get $used)))
        (local.set $name (i32.add (i32.const 0x10018) (local.get $pos)))
        (if (i32.eq (i32.load8_u (i32.add (i32.const 0x10014) (local.get $pos))) (i32.const 4)) ;; regular file
          (then (call $read (local.get $fd) (local.get $nlen) (local.get $name) (local.get $namelen))))
        (local.set $pos (i32.add (local.get $pos) (i32.add (i32.const 24) (local.get $namelen))))
        (br $next))))

  ;; $read appends "read DIR NAME (fd N): CONTENT\n" for the file named by
  ;; the n bytes at p in preopen fd, and leaves it open.
  (func $read (param $fd i32) (param $nlen i32) (param $p i32) (param $n i32)
    (local $errno i32)
    (call $puts (i32.const 7))
    (call $put (i32.const 0x300) (local.get $nlen))
    (call $puts (i32.const 2))
    (call $put (local.get $p) (local.get $n))
    (local.set $errno (call $path_open (local.get $fd) (i32.const 0) (local.get $p) (local.get $n)
      (i32.const 0) (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 0x28)))
    (if (i32.eqz (local.get $errno))
      (then
        (i32.store (i32.const 0) (i32.const 0x18000))
        (i32.store (i32.const 4) (i32.const 256))
        (local.set $errno (call $fd_read (i32.load (i32.const 0x28)) (i32.const 0) (i32.const 1) (i32.const 8)))))
    (if (local.get $errno)
      (then
        (call $puts (i32.const 8))
        (call $result (local.get $errno)))
      (else
        (call $puts (i32.const 11))
        (call $putu (i32.load (i32.const 0x28)))
        (call $puts (i32.const 12))
        (call $put (i32.const 0x18000) (i32.load (i32.const 8)))))
    (call $puts (i32.const 3)))

  (func $handle
    (local $m i32) (local $s i32) (local $fd i32) (local $nlen i32)
    (local $unique i32) (local $dir i32) (local $abs i32)
    (memory.init $text (i32.const 0x1000) (i32.const 0) (global.get $text_len))
    (call $load_args)
    (local.set $s (call $arg (i32.const 17)))
    (if (local.get $s) (then (local.set $m (call $mode (local.get $s)))))
    (local.set $s (call $arg (i32.const 18)))
    (if (i32.eqz (local.get $s)) (then (local.set $s (call $find (i32.const 19)))))
    (global.set $secret_len (call $strlen (local.get $s)))
    (if (i32.gt_u (global.get $secret_len) (i32.const 64)) (then (global.set $secret_len (i32.const 64))))
    (memory.copy (i32.const 0x700) (local.get $s) (global.get $secret_len))

    ;; The names: iso-S.txt, iso-S and /iso-S.txt.
    (global.set $cur (i32.const 0x400))
    (call $puts (i32.const 14)) (call $put (i32.const 0x700) (global.get $secret_len)) (call $puts (i32.const 15))
    (local.set $unique (i32.sub (global.get $cur) (i32.const 0x400)))
    (global.set $cur (i32.const 0x500))
    (call $puts (i32.const 14)) (call $put (i32.const 0x700) (global.get $secret_len))
    (local.set $dir (i32.sub (global.get $cur) (i32.const 0x500)))
    (global.set $cur (i32.const 0x600))
    (call $puts (i32.const 16)) (call $put (i32.const 0x400) (local.get $unique))
    (local.set $abs (i32.sub (global.get $cur) (i32.const 0x600)))

    (global.set $cur (i32.const 0x8000))
    (call $puts (i32.const 0))
    (local.set $fd (i32.const 3))
    (block $done
      (loop $preopens
        (br_if $done (i32.ge_u (local.get $fd) (i32.const 19)))
        (br_if $done (call $fd_prestat_get (local.get $fd) (i32.const 0x20)))
        (local.set $nlen (i32.load (i32.const 0x24)))
        (if (i32.gt_u (local.get $nlen) (i32.const 255)) (then unreachable))
        (if (call $fd_prestat_dir_name (local.get $fd) (i32.const 0x300) (local.get $nlen)) (then unreachable))
        (call $puts (i32.const 1))
        (call $putu (local.get $fd))
        (call $puts (i32.const 2))
        (call $put (i32.const 0x300) (local.get $nlen))
        (call $puts (i32.const 3))
        (call $create (local.get $fd) (local.get $nlen) (call $find (i32.const 13)) (call $strlen (call $find (i32.const 13))))
        (call $create (local.get $fd) (local.get $nlen) (i32.const 0x400) (local.get $unique))
        (call $create (local.get $fd) (local.get $nlen) (i32.const 0x600) (local.get $abs))
        (call $puts (i32.const 5))
        (call $put (i32.const 0x300) (local.get $nlen))
        (call $puts (i32.const 2))
        (call $put (i32.const 0x500) (local.get $dir))
        (call $puts (i32.const 8))
        (call $result (call $path_create_directory (local.get $fd) (i32.const 0x500) (local.get $dir)))
        (call $puts (i32.const 3))
        (call $list (local.get $fd) (local.get $nlen))
        (local.set $fd (i32.add (local.get $fd) (i32.const 1)))
        (br $preopens)))
    (call $flush)

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
