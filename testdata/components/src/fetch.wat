;; fetch.wat: a preview 1 command that sends one request with
;; wasi:http/outgoing-handler directly (world fetch.wit); build.sh embeds
;; the world and wraps it with jco new --wasi-command into ../extra/fetch.wasm.
;; argv[1] is the authority (host:port) of an http:// URL whose path is /,
;; or /slow when argv[2] is "slow", and then the request's
;; first-byte-timeout is 200 ms. It writes a CGI response,
;;   Content-Type: text/plain
;;
;;   handle: R
;;   get: R
;; where R is "ok", "status NNN" (get, the response's status) or
;; "error-code NN", the wasi:http error-code case in two digits (15 is
;; HTTP-request-denied, 09 connection-read-timeout).
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]fields"
    (func $fields (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-request"
    (func $request (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-request.set-scheme"
    (func $set_scheme (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-request.set-authority"
    (func $set_authority (param i32 i32 i32 i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-request.set-path-with-query"
    (func $set_path (param i32 i32 i32 i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[constructor]request-options"
    (func $options (result i32)))
  (import "wasi:http/types@0.2.12" "[method]request-options.set-first-byte-timeout"
    (func $set_first_byte (param i32 i32 i64) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]future-incoming-response.get"
    (func $get (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-response.status"
    (func $status (param i32) (result i32)))
  (import "wasi:http/outgoing-handler@0.2.12" "handle"
    (func $handle (param i32 i32 i32 i32)))
  (memory (export "memory") 1)
  (global $heap (mut i32) (i32.const 0x8000))

  ;; 0x00 iovec, 0x08 nwritten, 0x10 argc, 0x14 argv size, 0x20 digits,
  ;; 0x40 the return area (40 bytes, 8-aligned), 0x100 strings, 0x1000
  ;; argv pointers, 0x2000 argv strings, 0x8000 the heap (cabi_realloc).
  (data (i32.const 0x100) "Content-Type: text/plain\n\n")   ;; 26
  (data (i32.const 0x120) "handle: ")                       ;; 8
  (data (i32.const 0x130) "get: ")                          ;; 5
  (data (i32.const 0x140) "error-code ")                    ;; 11
  (data (i32.const 0x150) "ok")                             ;; 2
  (data (i32.const 0x160) "status ")                        ;; 7
  (data (i32.const 0x170) "\n")                             ;; 1
  (data (i32.const 0x180) "/slow")                          ;; 5 (path /slow, / alone is its first byte)

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

  ;; $digits prints n with w digits.
  (func $digits (param $n i32) (param $w i32) (local $i i32)
    (local.set $i (local.get $w))
    (loop $l
      (local.set $i (i32.sub (local.get $i) (i32.const 1)))
      (i32.store8 (i32.add (i32.const 0x20) (local.get $i))
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $l (local.get $i)))
    (call $print (i32.const 0x20) (local.get $w)))

  (func $code (param $c i32)
    (call $print (i32.const 0x140) (i32.const 11))
    (call $digits (local.get $c) (i32.const 2)))

  (func $strlen (param $p i32) (result i32) (local $n i32)
    (block $done (loop $l
      (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
      (local.set $n (i32.add (local.get $n) (i32.const 1)))
      (br $l)))
    (local.get $n))

  (func (export "_start") (local $req i32) (local $opts i32) (local $slow i32) (local $arg i32) (local $fut i32)
    (call $print (i32.const 0x100) (i32.const 26))
    (drop (call $args_sizes_get (i32.const 0x10) (i32.const 0x14)))
    (if (i32.lt_u (i32.load (i32.const 0x10)) (i32.const 2)) (then unreachable))
    (drop (call $args_get (i32.const 0x1000) (i32.const 0x2000)))
    (local.set $slow (i32.gt_u (i32.load (i32.const 0x10)) (i32.const 2)))
    (local.set $req (call $request (call $fields)))
    (drop (call $set_scheme (local.get $req) (i32.const 1) (i32.const 0) (i32.const 0) (i32.const 0)))
    (local.set $arg (i32.load (i32.const 0x1004)))
    (drop (call $set_authority (local.get $req) (i32.const 1) (local.get $arg) (call $strlen (local.get $arg))))
    (if (local.get $slow)
      (then
        (drop (call $set_path (local.get $req) (i32.const 1) (i32.const 0x180) (i32.const 5)))
        (local.set $opts (call $options))
        (drop (call $set_first_byte (local.get $opts) (i32.const 1) (i64.const 200000000))))
      (else
        (drop (call $set_path (local.get $req) (i32.const 1) (i32.const 0x180) (i32.const 1)))))
    (call $print (i32.const 0x120) (i32.const 8))
    (call $handle (local.get $req) (local.get $slow) (local.get $opts) (i32.const 0x40))
    (if (i32.load8_u (i32.const 0x40))
      (then
        (call $code (i32.load8_u (i32.const 0x48)))
        (call $print (i32.const 0x170) (i32.const 1))
        (return)))
    (local.set $fut (i32.load (i32.const 0x48)))
    (call $print (i32.const 0x150) (i32.const 2))
    (call $print (i32.const 0x170) (i32.const 1))
    (call $print (i32.const 0x130) (i32.const 5))
    (call $get (local.get $fut) (i32.const 0x40))
    ;; option tag +0 (1: some), result tag +8 (0: ok), inner result tag +16
    (if (i32.or (i32.eqz (i32.load8_u (i32.const 0x40))) (i32.load8_u (i32.const 0x48)))
      (then unreachable))
    (if (i32.load8_u (i32.const 0x50))
      (then (call $code (i32.load8_u (i32.const 0x58))))
      (else
        (call $print (i32.const 0x160) (i32.const 7))
        (call $digits (call $status (i32.load (i32.const 0x58))) (i32.const 3))))
    (call $print (i32.const 0x170) (i32.const 1))))
