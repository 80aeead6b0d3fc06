;; hog.wat: uses all the memory its app allows. It grows its memory one
;; 1 MiB step at a time until memory.grow fails (limits.memory), writes one
;; byte in every 4 KiB page of it, so the host really backs it, sleeps
;; 200 ms with poll_oneoff (holding that memory, as a slow request would),
;; then writes "Content-Type: text/plain\n\nhog\n".
;; Build: wat2wasm hog.wat -o hog.wasm (or scripts/build-guests.sh)
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  ;; Page 0: iovec at 0, nwritten at 8, nevents at 16, the subscription at
  ;; 64 (see sleep.wat), its event at 128, the response at 256.
  (memory (export "memory") 1)
  (data (i32.const 256) "Content-Type: text/plain\n\nhog\n")

  (func (export "_start")
    (local $p i32)
    (block $full
      (loop $grow
        (br_if $full (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
        (br $grow)))
    ;; Touch every 4 KiB page above page 0.
    (local.set $p (i32.const 65536))
    (block $done
      (loop $touch
        (br_if $done (i32.ge_u (local.get $p) (i32.mul (memory.size) (i32.const 65536))))
        (i32.store8 (local.get $p) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 4096)))
        (br $touch)))
    (i32.store8 (i32.const 72) (i32.const 0))           ;; eventtype clock
    (i32.store (i32.const 80) (i32.const 1))            ;; monotonic clock
    (i64.store (i32.const 88) (i64.const 200000000))    ;; 200 ms
    (i64.store (i32.const 96) (i64.const 0))            ;; precision
    (i32.store16 (i32.const 104) (i32.const 0))         ;; relative
    (if (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 16))
      (then unreachable))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const 30))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
