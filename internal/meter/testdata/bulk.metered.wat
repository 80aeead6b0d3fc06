(module
  (type (;0;) (func))
  (type (;1;) (func (param i32)))
  (type (;2;) (func))
  (import "wisp:meter" "refuel" (func (;0;) (type 2)))
  (func $f (type 0)
    (local i64)
    global.get 0
    i64.const 1
    i64.sub
    local.tee 0
    global.set 0
    local.get 0
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end)
  (func $$1 (type 1) (param $n i32)
    (local i64 i32)
    global.get 0
    i64.const 7
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end
    i32.const 0
    i32.const 7
    local.get $n
    local.tee 2
    global.get 0
    local.get 2
    i64.extend_i32_u
    i64.const 2
    i64.shr_u
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end
    memory.fill
    i32.const 100
    i32.const 0
    local.get $n
    local.tee 2
    global.get 0
    local.get 2
    i64.extend_i32_u
    i64.const 2
    i64.shr_u
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end
    memory.copy
    i32.const 200
    i32.const 0
    i32.const 5
    local.tee 2
    global.get 0
    local.get 2
    i64.extend_i32_u
    i64.const 2
    i64.shr_u
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end
    memory.init $d
    i32.const 0
    ref.null func
    i32.const 8
    local.tee 2
    global.get 0
    local.get 2
    i64.extend_i32_u
    i64.const 1
    i64.shl
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end
    table.fill 0
    i32.const 0
    i32.const 0
    i32.const 1
    local.tee 2
    global.get 0
    local.get 2
    i64.extend_i32_u
    i64.const 1
    i64.shl
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end
    table.init $e
    i32.const 1
    i32.const 0
    i32.const 1
    local.tee 2
    global.get 0
    local.get 2
    i64.extend_i32_u
    i64.const 1
    i64.shl
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 0
    end
    table.copy)
  (table (;0;) 8 funcref)
  (memory (;0;) 1)
  (global (;0;) (mut i64) (i64.const 0))
  (export "bulk" (func $$1))
  (export "wisp.meter.fuel" (global 0))
  (elem $e func $f)
  (data $d "hello"))
