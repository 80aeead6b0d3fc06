;; The "fixup" core module wit-component emits last: it imports the
;; shim's table and the real functions (the adapter's export and the
;; lowered host functions) and fills the table with an active element
;; segment. No code of its own.
(module
  (import "" "$imports" (table 3 3 funcref))
  (import "" "0" (func (param i32 i32 i32 i32) (result i32)))
  (import "" "1" (func (result i32)))
  (import "" "2" (func (param i32 i32 i32 i32)))
  (elem (table 0) (i32.const 0) func 0 1 2))
