;; The "shim" core module wit-component emits: a funcref table and one
;; stub per indirect import. Each stub calls through its slot, which the
;; fixup module fills once the functions exist (the adapter's exports, and
;; host functions lowered with the main instance's memory as an option).
;; Import-free: it is instantiated first.
(module
  (type $fd_write (func (param i32 i32 i32 i32) (result i32)))
  (type $get_stdout (func (result i32)))
  (type $write (func (param i32 i32 i32 i32)))
  (table $t (export "$imports") 3 3 funcref)
  (func (export "0") (type $fd_write)
    local.get 0 local.get 1 local.get 2 local.get 3
    i32.const 0 call_indirect $t (type $fd_write))
  (func (export "1") (type $get_stdout)
    i32.const 1 call_indirect $t (type $get_stdout))
  (func (export "2") (type $write)
    local.get 0 local.get 1 local.get 2 local.get 3
    i32.const 2 call_indirect $t (type $write)))
