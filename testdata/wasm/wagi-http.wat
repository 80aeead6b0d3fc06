;; A WAGI module calling out with wasi_experimental_http, as a module built
;; with the wasi-experimental-http crates does. For every argument after
;; argv[0], a URL, it sends `POST <url>` with the headers
;; "X-Test:wagi\nContent-Type:text/plain\n" and the body "ping", then writes
;; what each function answered:
;;
;;   req <url>: status <code>
;;   content-type <value, or the error code>
;;   missing <header_get of x-missing: 5>
;;   small <header_get into a 1-byte buffer: 4>
;;   headers
;;   <headers_get_all, or the error code and a line feed>
;;   body <the body, read 7 bytes at a time> [error <code>]
;;   close <code>
;;   read-closed <body_read of the closed handle: 1>
;;
;; or, when req fails, `req <url>: error <code>`. Everything after the CGI
;; header `Content-Type: text/plain\n\n`.
;;
;; Memory: 0 iovec, 8 argc, 12 argv size, 16 status (u16), 20 handle,
;; 24 written, 28 fd_write's count, 256..276 digits, 1024.. constants,
;; 2048 header value, 4096 argv pointers, 8192 argv strings,
;; 16384 headers_get_all buffer (4 KiB), 32768 body buffer.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_experimental_http" "req"
    (func $req (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_experimental_http" "close" (func $close (param i32) (result i32)))
  (import "wasi_experimental_http" "header_get" (func $header_get (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_experimental_http" "headers_get_all" (func $headers_get_all (param i32 i32 i32 i32) (result i32)))
  (import "wasi_experimental_http" "body_read" (func $body_read (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  (data (i32.const 1024) "Content-Type: text/plain\n\n")             ;; 26
  (data (i32.const 1056) "POST")                                     ;; 4
  (data (i32.const 1064) "X-Test:wagi\nContent-Type:text/plain\n")   ;; 36
  (data (i32.const 1120) "ping")                                     ;; 4
  (data (i32.const 1128) "content-type")                             ;; 12
  (data (i32.const 1144) "x-missing")                                ;; 9
  (data (i32.const 1160) "req ")                                     ;; 4
  (data (i32.const 1168) ": error ")                                 ;; 8
  (data (i32.const 1184) ": status ")                                ;; 9
  (data (i32.const 1200) "\ncontent-type ")                          ;; 14
  (data (i32.const 1216) "\nmissing ")                               ;; 9
  (data (i32.const 1232) "\nsmall ")                                 ;; 7
  (data (i32.const 1248) "\nheaders\n")                              ;; 9
  (data (i32.const 1264) "body ")                                    ;; 5
  (data (i32.const 1272) "\nclose ")                                 ;; 7
  (data (i32.const 1280) "\nread-closed ")                           ;; 13
  (data (i32.const 1296) "\n")                                       ;; 1
  (data (i32.const 1304) " error ")                                  ;; 7

  ;; write(ptr, len) to stdout
  (func $write (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 28))))

  ;; putnum(n): n in decimal
  (func $putnum (param $n i32)
    (local $i i32)
    (local.set $i (i32.const 276))
    (loop $digits
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (local.get $i) (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $write (local.get $i) (i32.sub (i32.const 276) (local.get $i))))

  (func $strlen (param $p i32) (result i32)
    (local $q i32)
    (local.set $q (local.get $p))
    (block $end
      (loop $scan
        (br_if $end (i32.eqz (i32.load8_u (local.get $q))))
        (local.set $q (i32.add (local.get $q) (i32.const 1)))
        (br $scan)))
    (i32.sub (local.get $q) (local.get $p)))

  (func $fetch (param $url i32) (param $len i32)
    (local $err i32) (local $h i32) (local $n i32)
    (call $write (i32.const 1160) (i32.const 4))
    (call $write (local.get $url) (local.get $len))
    (local.set $err (call $req (local.get $url) (local.get $len)
      (i32.const 1056) (i32.const 4) (i32.const 1064) (i32.const 36) (i32.const 1120) (i32.const 4)
      (i32.const 16) (i32.const 20)))
    (if (local.get $err)
      (then
        (call $write (i32.const 1168) (i32.const 8))
        (call $putnum (local.get $err))
        (call $write (i32.const 1296) (i32.const 1))
        (return)))
    (local.set $h (i32.load (i32.const 20)))
    (call $write (i32.const 1184) (i32.const 9))
    (call $putnum (i32.load16_u (i32.const 16)))

    (call $write (i32.const 1200) (i32.const 14))
    (local.set $err (call $header_get (local.get $h) (i32.const 1128) (i32.const 12) (i32.const 2048) (i32.const 256) (i32.const 24)))
    (if (local.get $err)
      (then (call $putnum (local.get $err)))
      (else (call $write (i32.const 2048) (i32.load (i32.const 24)))))

    (call $write (i32.const 1216) (i32.const 9))
    (call $putnum (call $header_get (local.get $h) (i32.const 1144) (i32.const 9) (i32.const 2048) (i32.const 256) (i32.const 24)))
    (call $write (i32.const 1232) (i32.const 7))
    (call $putnum (call $header_get (local.get $h) (i32.const 1128) (i32.const 12) (i32.const 2048) (i32.const 1) (i32.const 24)))

    (call $write (i32.const 1248) (i32.const 9))
    (local.set $err (call $headers_get_all (local.get $h) (i32.const 16384) (i32.const 4096) (i32.const 24)))
    (if (local.get $err)
      (then (call $putnum (local.get $err)) (call $write (i32.const 1296) (i32.const 1)))
      (else (call $write (i32.const 16384) (i32.load (i32.const 24)))))

    (call $write (i32.const 1264) (i32.const 5))
    (block $done
      (loop $read
        (local.set $err (call $body_read (local.get $h) (i32.const 32768) (i32.const 7) (i32.const 24)))
        (if (local.get $err)
          (then
            (call $write (i32.const 1304) (i32.const 7))
            (call $putnum (local.get $err))
            (br $done)))
        (local.set $n (i32.load (i32.const 24)))
        (br_if $done (i32.eqz (local.get $n)))
        (call $write (i32.const 32768) (local.get $n))
        (br $read)))

    (call $write (i32.const 1272) (i32.const 7))
    (call $putnum (call $close (local.get $h)))
    (call $write (i32.const 1280) (i32.const 13))
    (call $putnum (call $body_read (local.get $h) (i32.const 32768) (i32.const 7) (i32.const 24)))
    (call $write (i32.const 1296) (i32.const 1)))

  (func (export "_start")
    (local $i i32) (local $p i32)
    (call $write (i32.const 1024) (i32.const 26))
    (drop (call $args_sizes_get (i32.const 8) (i32.const 12)))
    (drop (call $args_get (i32.const 4096) (i32.const 8192)))
    (local.set $i (i32.const 1))
    (block $end
      (loop $each
        (br_if $end (i32.ge_u (local.get $i) (i32.load (i32.const 8))))
        (local.set $p (i32.load (i32.add (i32.const 4096) (i32.shl (local.get $i) (i32.const 2)))))
        (call $fetch (local.get $p) (call $strlen (local.get $p)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $each))))
)
