;; sockets.wat: a preview 1 command that also calls wasi:sockets directly
;; (world sockets.wit); build.sh embeds the world and wraps it with jco new
;; --wasi-command into ../sockets.wasm. It writes a CGI response,
;;   Content-Type: text/plain
;;
;;   tcp ipv4: error-code NN
;;   tcp ipv6: error-code NN
;;   udp ipv4: error-code NN
;;   resolve example.com: error-code NN
;; where NN is the wasi:sockets/network error-code case the call returned
;; in two digits (01 is access-denied), or "ok" if it made a socket.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi:sockets/instance-network@0.2.12" "instance-network"
    (func $instance_network (result i32)))
  (import "wasi:sockets/network@0.2.12" "[resource-drop]network"
    (func $drop_network (param i32)))
  (import "wasi:sockets/tcp-create-socket@0.2.12" "create-tcp-socket"
    (func $create_tcp (param i32 i32)))
  (import "wasi:sockets/udp-create-socket@0.2.12" "create-udp-socket"
    (func $create_udp (param i32 i32)))
  (import "wasi:sockets/ip-name-lookup@0.2.12" "resolve-addresses"
    (func $resolve (param i32 i32 i32 i32)))
  (memory (export "memory") 1)

  ;; 0x00 iovec, 0x08 nwritten, 0x10 the return area (result: tag at +0,
  ;; payload at +4), 0x20 two digits, 0x100 strings.
  (data (i32.const 0x100) "Content-Type: text/plain\n\n")      ;; 26 bytes
  (data (i32.const 0x120) "tcp ipv4: ")                        ;; 10
  (data (i32.const 0x130) "tcp ipv6: ")                        ;; 10
  (data (i32.const 0x140) "udp ipv4: ")                        ;; 10
  (data (i32.const 0x150) "resolve example.com: ")             ;; 21
  (data (i32.const 0x170) "error-code ")                       ;; 11
  (data (i32.const 0x180) "ok")                                ;; 2
  (data (i32.const 0x190) "\n")                                ;; 1
  (data (i32.const 0x1a0) "example.com")                       ;; 11

  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  ;; $report prints the result<_, error-code> at 0x10 and a newline.
  (func $report (local $code i32)
    (if (i32.eqz (i32.load8_u (i32.const 0x10)))
      (then (call $print (i32.const 0x180) (i32.const 2)))
      (else
        (local.set $code (i32.load8_u (i32.const 0x14)))
        (i32.store8 (i32.const 0x20) (i32.add (i32.const 48) (i32.div_u (local.get $code) (i32.const 10))))
        (i32.store8 (i32.const 0x21) (i32.add (i32.const 48) (i32.rem_u (local.get $code) (i32.const 10))))
        (call $print (i32.const 0x170) (i32.const 11))
        (call $print (i32.const 0x20) (i32.const 2))))
    (call $print (i32.const 0x190) (i32.const 1)))

  (func (export "_start") (local $net i32)
    (call $print (i32.const 0x100) (i32.const 26))
    (call $print (i32.const 0x120) (i32.const 10))
    (call $create_tcp (i32.const 0) (i32.const 0x10))
    (call $report)
    (call $print (i32.const 0x130) (i32.const 10))
    (call $create_tcp (i32.const 1) (i32.const 0x10))
    (call $report)
    (call $print (i32.const 0x140) (i32.const 10))
    (call $create_udp (i32.const 0) (i32.const 0x10))
    (call $report)
    (local.set $net (call $instance_network))
    (call $print (i32.const 0x150) (i32.const 21))
    (call $resolve (local.get $net) (i32.const 0x1a0) (i32.const 11) (i32.const 0x10))
    (call $report)
    (call $drop_network (local.get $net))))
