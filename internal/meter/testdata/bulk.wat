;; Bulk memory and table operations, charged by their size operand.
(module
  (memory 1)
  (table 8 funcref)
  (data $d "hello")
  (elem $e func $f)
  (func $f)
  (func (export "bulk") (param $n i32)
    (memory.fill (i32.const 0) (i32.const 7) (local.get $n))
    (memory.copy (i32.const 100) (i32.const 0) (local.get $n))
    (memory.init $d (i32.const 200) (i32.const 0) (i32.const 5))
    (table.fill 0 (i32.const 0) (ref.null func) (i32.const 8))
    (table.init 0 $e (i32.const 0) (i32.const 0) (i32.const 1))
    (table.copy 0 0 (i32.const 1) (i32.const 0) (i32.const 1))))
