(module
  (type $count (func (param i32) (result i32)))
  (type $pair (func (param i32 i32) (result i32 i32)))
  (type $two (func (result i32 i32)))
  (type (;3;) (func (param i32)))
  (type (;4;) (func))
  (type (;5;) (func))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (type 3)))
  (import "wisp:meter" "refuel" (func (;1;) (type 5)))
  (func $down (type $count) (param $n i32) (result i32)
    (local $acc i32) (local i64)
    global.get 0
    i64.const 1
    i64.sub
    local.tee 2
    global.set 0
    local.get 2
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    local.get $n
    loop (param i32) (result i32)  ;; label = @1
      global.get 0
      i64.const 3
      i64.sub
      local.tee 2
      global.set 0
      local.get 2
      i64.const 0
      i64.lt_s
      if  ;; label = @2
        call 1
      end
      local.set $n
      local.get $acc
      local.get $n
      i32.add
      local.set $acc
      local.get $n
      local.get $n
      i32.eqz
      if (param i32) (result i32)  ;; label = @2
        global.get 0
        i64.const 0
        i64.sub
        global.set 0
      else
        global.get 0
        i64.const 4
        i64.sub
        global.set 0
        i32.const 1
        i32.sub
        br 1 (;@1;)
      end
    end
    drop
    local.get $acc)
  (func $fib (type $count) (param $k i32) (result i32)
    (local i64)
    global.get 0
    i64.const 1
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    i32.const 0
    i32.const 1
    loop (param i32 i32) (result i32 i32)  ;; label = @1
      global.get 0
      i64.const 3
      i64.sub
      local.tee 1
      global.set 0
      local.get 1
      i64.const 0
      i64.lt_s
      if  ;; label = @2
        call 1
      end
      local.get $k
      i32.const 1
      i32.sub
      local.set $k
      local.get $k
      i32.const 0
      i32.gt_s
      if (param i32 i32) (result i32 i32)  ;; label = @2
        global.get 0
        i64.const 8
        i64.sub
        global.set 0
        call $step
        br 1 (;@1;)
      end
    end
    drop)
  (func $step (type $pair) (param i32 i32) (result i32 i32)
    (local i64)
    global.get 0
    i64.const 1
    i64.sub
    local.tee 2
    global.set 0
    local.get 2
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    local.get 1
    local.get 0
    local.get 1
    i32.add)
  (func $twice (type $count) (param $n i32) (result i32)
    (local i64)
    global.get 0
    i64.const 1
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    block (result i32 i32)  ;; label = @1
      loop  ;; label = @2
        block  ;; label = @3
          loop (result i32 i32)  ;; label = @4
            global.get 0
            i64.const 0
            i64.lt_s
            br_if 1 (;@3;)
            global.get 0
            i64.const 5
            i64.sub
            global.set 0
            local.get $n
            i32.const 1
            i32.sub
            local.set $n
            local.get $n
            i32.const 0
            i32.gt_s
            br_if 0 (;@4;)
            local.get $n
            i32.const 7
          end
          br 2 (;@1;)
        end
        call 1
        br 0 (;@2;)
      end
      unreachable
    end
    i32.add)
  (func $$5 (type 4)
    (local i64)
    global.get 0
    i64.const 423
    i64.sub
    local.tee 0
    global.set 0
    local.get 0
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    i32.const 10
    call $down
    i32.const 10
    call $fib
    i32.add
    i32.const 5
    call $twice
    i32.add
    i32.const 255
    i32.and
    call $exit)
  (memory (;0;) 1)
  (global (;0;) (mut i64) (i64.const 0))
  (export "memory" (memory 0))
  (export "_start" (func $$5))
  (export "wisp.meter.fuel" (global 0)))
