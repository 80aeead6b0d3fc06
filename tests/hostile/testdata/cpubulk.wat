;; cpubulk.wat: bulk operations over the whole of a large memory and
;; table, forever: memory.fill and memory.copy of 64 MiB and table.fill of
;; a million entries per iteration. Each is one instruction, charged by its
;; size before it runs.
;; Build: wat2wasm cpubulk.wat -o cpubulk.wasm (or ./build.sh)
(module
  (memory (export "memory") 1024)
  (table 1000000 funcref)
  (func $f)
  (elem declare func $f)
  (func (export "_start")
    (loop $forever
      (memory.fill (i32.const 0) (i32.const 7) (i32.const 0x4000000))
      (memory.copy (i32.const 0) (i32.const 0x2000000) (i32.const 0x2000000))
      (table.fill 0 (i32.const 0) (ref.func $f) (i32.const 1000000))
      (br $forever)))
)
