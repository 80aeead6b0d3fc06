;; cpurecursion.wat: a tree of calls 64 deep (two calls per frame, never a
;; loop), so the stack stays small and the work never ends: only the CPU
;; limit or the timeout stops it, charged at every function entry.
;; Build: wat2wasm cpurecursion.wat -o cpurecursion.wasm (or ./build.sh)
(module
  (memory (export "memory") 1)
  (func $tree (param $depth i32)
    (if (i32.gt_u (local.get $depth) (i32.const 0))
      (then
        (call $tree (i32.sub (local.get $depth) (i32.const 1)))
        (call $tree (i32.sub (local.get $depth) (i32.const 1))))))
  (func (export "_start")
    (call $tree (i32.const 64)))
)
