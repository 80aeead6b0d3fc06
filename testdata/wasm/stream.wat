;; stream.wat: responses that stream. The first byte of argv[1] (the query
;; string, such as "?e") picks what it writes to stdout:
;;   e  "Content-Type: text/event-stream\n\ndata: one\n\n", sleeps 1 s with
;;      poll_oneoff, then "data: two\n\n" (server-sent events)
;;   b  "Content-Type: text/plain\n\n", then 1 MiB of 'x' in one fd_write of 16
;;      iovecs that all point at the same 64 KiB page
;;   l  the same 1 MiB after a header declaring "Content-Length: 1048576"
;;   s  that header, then only 512 KiB, then a normal exit (short of it)
;;   t  "Content-Type: text/plain\n\n", 512 KiB, then a trap
;;   f  "Content-Type: text/plain\n\n", then 1 MiB per fd_write forever; exits
;;      with status 1 when a write fails (the response flood)
;; Without argv[1] it does "b". Memory: 2 pages, whatever it writes.
;; Build: wat2wasm stream.wat -o stream.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  ;; Page 0: iovecs at 0 (16 x 8 bytes), nwritten at 200, argc/argv size at
  ;; 208/212, argv pointers at 1024, argv bytes at 1280 (up to 700), the
  ;; texts at 2048, the poll_oneoff subscription at 3072 and its event at
  ;; 3200. Page 1: 64 KiB of 'x'.
  (memory (export "memory") 2)
  (data (i32.const 2048) "Content-Type: text/event-stream\n\n") ;; ev_head, 33 bytes
  (data (i32.const 2112) "data: one\n\n") ;; ev_one, 11 bytes
  (data (i32.const 2144) "data: two\n\n") ;; ev_two, 11 bytes
  (data (i32.const 2176) "Content-Type: text/plain\n\n") ;; plain, 26 bytes
  (data (i32.const 2240) "Content-Type: text/plain\nContent-Length: 1048576\n\n") ;; declared, 50 bytes

  ;; write writes len bytes at ptr to stdout; a failed write exits with 1.
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (if (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 200))
      (then (call $proc_exit (i32.const 1)))))

  ;; pages writes n iovecs of 64 KiB, all of page 1, in one fd_write.
  (func $pages (param $n i32)
    (local $i i32)
    (loop $iov
      (i32.store (i32.mul (local.get $i) (i32.const 8)) (i32.const 65536))
      (i32.store (i32.add (i32.mul (local.get $i) (i32.const 8)) (i32.const 4)) (i32.const 65536))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $iov (i32.lt_u (local.get $i) (local.get $n))))
    (if (call $fd_write (i32.const 1) (i32.const 0) (local.get $n) (i32.const 200))
      (then (call $proc_exit (i32.const 1)))))

  ;; sleep1s blocks in poll_oneoff for one second (relative monotonic clock).
  (func $sleep1s
    (i32.store8 (i32.const 3080) (i32.const 0))          ;; eventtype clock
    (i32.store (i32.const 3088) (i32.const 1))           ;; monotonic
    (i64.store (i32.const 3096) (i64.const 1000000000))  ;; 1 s
    (i64.store (i32.const 3104) (i64.const 0))           ;; precision
    (i32.store16 (i32.const 3112) (i32.const 0))         ;; relative
    (if (call $poll_oneoff (i32.const 3072) (i32.const 3200) (i32.const 1) (i32.const 200))
      (then unreachable)))

  ;; mode returns the first byte of argv[1], or 'b'.
  (func $mode (result i32)
    (if (call $args_sizes_get (i32.const 208) (i32.const 212)) (then unreachable))
    (if (i32.lt_u (i32.load (i32.const 208)) (i32.const 2)) (then (return (i32.const 98))))
    (if (i32.gt_u (i32.load (i32.const 208)) (i32.const 60)) (then unreachable))
    (if (i32.gt_u (i32.load (i32.const 212)) (i32.const 700)) (then unreachable))
    (if (call $args_get (i32.const 1024) (i32.const 1280)) (then unreachable))
    (i32.load8_u (i32.load (i32.const 1028))))

  (func (export "_start")
    (local $m i32)
    (local $i i32)
    ;; Fill page 1 with 'x', 8 bytes at a time.
    (local.set $i (i32.const 65536))
    (loop $fill
      (i64.store (local.get $i) (i64.const 0x7878787878787878))
      (local.set $i (i32.add (local.get $i) (i32.const 8)))
      (br_if $fill (i32.lt_u (local.get $i) (i32.const 131072))))
    (local.set $m (call $mode))
    (if (i32.eq (local.get $m) (i32.const 101)) ;; e
      (then
        (call $write (i32.const 2048) (i32.const 33))
        (call $write (i32.const 2112) (i32.const 11))
        (call $sleep1s)
        (call $write (i32.const 2144) (i32.const 11))
        (return)))
    (if (i32.eq (local.get $m) (i32.const 108)) ;; l
      (then (call $write (i32.const 2240) (i32.const 50)) (call $pages (i32.const 16)) (return)))
    (if (i32.eq (local.get $m) (i32.const 115)) ;; s
      (then (call $write (i32.const 2240) (i32.const 50)) (call $pages (i32.const 8)) (return)))
    (if (i32.eq (local.get $m) (i32.const 116)) ;; t
      (then (call $write (i32.const 2176) (i32.const 26)) (call $pages (i32.const 8)) unreachable))
    (if (i32.eq (local.get $m) (i32.const 102)) ;; f
      (then
        (call $write (i32.const 2176) (i32.const 26))
        (loop $forever (call $pages (i32.const 16)) (br $forever))))
    (call $write (i32.const 2176) (i32.const 26))
    (call $pages (i32.const 16)))
)
