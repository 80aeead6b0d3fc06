;; sleep.wat: sleeps 60 s in the host with poll_oneoff (one relative clock
;; subscription), then writes "Content-Type: text/plain\n\nslept\n". An
;; invocation timeout shorter than 60 s must interrupt the sleep. If
;; poll_oneoff fails the module traps instead of answering.
;; Build: wat2wasm sleep.wat -o sleep.wasm (or scripts/build-guests.sh)
(module
  ;; poll_oneoff(in: *subscription, out: *event, nsubscriptions, nevents_ptr) -> errno
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  ;; Memory layout:
  ;;   0..7     iovec for fd_write; 8..11 nwritten
  ;;   16..19   nevents written by poll_oneoff
  ;;   64..111  subscription (48 bytes, 8-byte aligned):
  ;;              +0  userdata   u64
  ;;              +8  tag        u8   eventtype: 0 = clock
  ;;              +16 id         u32  clockid: 1 = monotonic
  ;;              +24 timeout    u64  nanoseconds
  ;;              +32 precision  u64
  ;;              +40 flags      u16  subclockflags: 0 = relative
  ;;   128..159 event (32 bytes): userdata u64 +0, error u16 +8, type u8 +10
  ;;   256..    the response
  (data (i32.const 256) "Content-Type: text/plain\n\nslept\n")

  (func (export "_start")
    (i64.store (i32.const 64) (i64.const 0x736c656570)) ;; userdata "sleep"
    (i32.store8 (i32.const 72) (i32.const 0))           ;; eventtype clock
    (i32.store (i32.const 80) (i32.const 1))            ;; monotonic clock
    (i64.store (i32.const 88) (i64.const 60000000000))  ;; 60 s
    (i64.store (i32.const 96) (i64.const 0))            ;; precision
    (i32.store16 (i32.const 104) (i32.const 0))         ;; relative
    (if (call $poll_oneoff (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 16))
      (then unreachable))
    (i32.store (i32.const 0) (i32.const 256))
    (i32.store (i32.const 4) (i32.const 32))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
