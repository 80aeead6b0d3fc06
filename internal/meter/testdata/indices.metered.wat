(module
  (type (;0;) (func))
  (type (;1;) (func (result i32)))
  (type (;2;) (func))
  (import "env" "g" (global $imported i32))
  (import "env" "h" (func $h (type 0)))
  (import "wisp:meter" "refuel" (func (;1;) (type 2)))
  (func $a (type 1) (result i32)
    (local i64)
    global.get 3
    i64.const 1
    i64.sub
    local.tee 0
    global.set 3
    local.get 0
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    global.get $counter)
  (func $b (type 0)
    (local i64)
    global.get 3
    i64.const 406
    i64.sub
    local.tee 0
    global.set 3
    local.get 0
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    i32.const 1
    global.set $counter
    call $h)
  (func $start (type 0)
    (local i64)
    global.get 3
    i64.const 6
    i64.sub
    local.tee 0
    global.set 3
    local.get 0
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    ref.func $start
    drop
    call $b)
  (table (;0;) 4 funcref)
  (global $fn funcref (ref.func $b))
  (global $counter (mut i32) (i32.const 0))
  (global (;3;) (mut i64) (i64.const 0))
  (export "a" (func $a))
  (export "fn" (global $fn))
  (export "wisp.meter.fuel" (global 3))
  (start $start)
  (elem (;0;) (i32.const 0) func $a $b)
  (elem (;1;) funcref (ref.func $a) (ref.null func))
  (elem (;2;) declare func $start))
