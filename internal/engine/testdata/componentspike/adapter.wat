;; The preview 1 adapter's shape: it imports the main instance's memory
;; and stack pointer (a memory and a mutable global from another
;; instance) and WASI 0.2 functions (through the shim's stubs), and
;; exports fd_write in terms of them. Handles one iovec, to stdout.
(module
  (import "env" "memory" (memory 1))
  (import "env" "__stack_pointer" (global $sp (mut i32)))
  (import "wasi:cli/stdout@0.2.0" "get-stdout" (func $get_stdout (result i32)))
  (import "wasi:io/streams@0.2.0" "[method]output-stream.blocking-write-and-flush"
    (func $write (param i32 i32 i32 i32)))
  (func (export "fd_write") (param $fd i32) (param $iovs i32) (param $n i32) (param $nw i32) (result i32)
    (local $stream i32) (local $ret i32)
    (local.set $stream (call $get_stdout))
    (global.set $sp (local.tee $ret (i32.sub (global.get $sp) (i32.const 16))))
    (call $write (local.get $stream)
      (i32.load (local.get $iovs)) (i32.load offset=4 (local.get $iovs)) (local.get $ret))
    (i32.store (local.get $nw) (i32.load offset=4 (local.get $iovs)))
    (global.set $sp (i32.add (global.get $sp) (i32.const 16)))
    ;; result<_, stream-error>: discriminant 0 is ok, errno 0.
    (i32.load8_u (local.get $ret))))
