;; exitcode.wat: calls proc_exit with the code its first argument gives in
;; decimal (argv[1], such as "3"; 0 without one), writing nothing. Digits
;; are read up to the first other byte and the value wraps at 2^32, so any
;; uint32 is reachable, the codes wazero reserves for its own kills
;; included: 4026531839 (0xefffffff, sys.ExitCodeDeadlineExceeded) and
;; 4294967295 (0xffffffff, sys.ExitCodeContextCanceled). Through the
;; gateway argv[1] is the query: GET /route?4026531839.
;; Build: wat2wasm exitcode.wat -o exitcode.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "args_sizes_get"
    (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get"
    (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit"
    (func $proc_exit (param i32)))
  ;; argc at 0, the size of the argument strings at 4; argv pointers at
  ;; 0x1000 (up to 1024), the strings at 0x2000 (up to 0x1e000 bytes).
  (memory (export "memory") 2)
  (func (export "_start")
    (local $p i32)
    (local $code i32)
    (local $digit i32)
    (if (call $args_sizes_get (i32.const 0) (i32.const 4))
      (then unreachable))
    (if (i32.lt_u (i32.load (i32.const 0)) (i32.const 2))
      (then (call $proc_exit (i32.const 0))))
    (if (i32.or
          (i32.gt_u (i32.load (i32.const 0)) (i32.const 1024))
          (i32.gt_u (i32.load (i32.const 4)) (i32.const 0x1e000)))
      (then unreachable))
    (if (call $args_get (i32.const 0x1000) (i32.const 0x2000))
      (then unreachable))
    (local.set $p (i32.load (i32.const 0x1004)))
    (block $done
      (loop $next
        ;; below '0' wraps to a large unsigned value: not a digit either
        (local.set $digit (i32.sub (i32.load8_u (local.get $p)) (i32.const 48)))
        (br_if $done (i32.gt_u (local.get $digit) (i32.const 9)))
        (local.set $code
          (i32.add (i32.mul (local.get $code) (i32.const 10)) (local.get $digit)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $next)))
    (call $proc_exit (local.get $code)))
)
