;; What Reserve makes of in.wat (TestReserve compares the bytes): its
;; memory.grow and memory.size call the two functions appended after its
;; own (2: memory.size, 3: memory.grow, over the control word in the last
;; four bytes of the memory, internal/preinit/reserve.go), their types are
;; appended after its own, and its maximum is raised by the control page.
;; Nothing else moves: imports, globals, exports and indices are the same.
;; Build: wat2wasm want.wat -o want.wasm
(module
  (type (;0;) (func (param i32)))
  (type (;1;) (func (result i32)))
  (type (;2;) (func (result i32)))
  (type (;3;) (func (param i32) (result i32)))
  (import "env" "f" (func (;0;) (type 0)))
  (import "env" "g" (global (;0;) i32))
  (func (;1;) (type 1) (result i32)
    i32.const 1
    call 3
    call 0
    block (result i32)  ;; label = @1
      call 2
    end)
  (func (;2;) (type 2) (result i32)
    memory.size
    i32.const 1
    i32.sub
    memory.size
    i32.const 16
    i32.shl
    i32.const 4
    i32.sub
    i32.load
    i32.sub)
  (func (;3;) (type 3) (param i32) (result i32)
    (local i32 i32)
    memory.size
    i32.const 16
    i32.shl
    i32.const 4
    i32.sub
    i32.load
    local.set 1
    memory.size
    i32.const 1
    i32.sub
    local.get 1
    i32.sub
    local.set 2
    local.get 0
    local.get 1
    i32.le_u
    if  ;; label = @1
      memory.size
      i32.const 16
      i32.shl
      i32.const 4
      i32.sub
      local.get 1
      local.get 0
      i32.sub
      i32.store
      local.get 2
      return
    end
    local.get 0
    local.get 1
    i32.sub
    memory.grow
    i32.const -1
    i32.eq
    if  ;; label = @1
      i32.const -1
      return
    end
    local.get 2
    local.get 1
    i32.add
    i32.const 1
    i32.add
    i32.const 16
    i32.shl
    i32.const 4
    i32.sub
    i32.const 0
    i32.store
    local.get 2)
  (memory (;0;) 1 6)
  (global (;1;) (mut i32) (i32.const 7))
  (export "memory" (memory 0))
  (export "run" (func 1)))
