(module
  (type (;0;) (func (result i32)))
  (type (;1;) (func (param i32) (result i32)))
  (type (;2;) (func))
  (import "wasi_snapshot_preview1" "sched_yield" (func $yield (type 0)))
  (import "wisp:meter" "refuel" (func (;1;) (type 2)))
  (func $sum (type 1) (param $n i32) (result i32)
    (local $i i32) (local $acc i32) (local i64)
    global.get 0
    i64.const 1
    i64.sub
    local.tee 3
    global.set 0
    local.get 3
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    block  ;; label = @1
      block  ;; label = @2
        loop  ;; label = @3
          block  ;; label = @4
            loop  ;; label = @5
              global.get 0
              i64.const 0
              i64.lt_s
              br_if 1 (;@4;)
              global.get 0
              i64.const 10
              i64.sub
              global.set 0
              local.get $i
              local.get $n
              i32.ge_u
              br_if 4 (;@1;)
              block  ;; label = @6
                loop  ;; label = @7
                  block  ;; label = @8
                    loop  ;; label = @9
                      global.get 0
                      i64.const 0
                      i64.lt_s
                      br_if 1 (;@8;)
                      global.get 0
                      i64.const 5
                      i64.sub
                      global.set 0
                      local.get $acc
                      i32.const 1
                      i32.add
                      local.set $acc
                      local.get $acc
                      i32.const 3
                      i32.and
                      br_if 0 (;@9;)
                    end
                    br 2 (;@6;)
                  end
                  call 1
                  br 0 (;@7;)
                end
                unreachable
              end
              local.get $i
              i32.eqz
              if  ;; label = @6
                global.get 0
                i64.const 405
                i64.sub
                global.set 0
                call $yield
                drop
              else
                global.get 0
                i64.const 0
                i64.sub
                global.set 0
                nop
              end
              local.get $i
              i32.const 1
              i32.add
              local.set $i
              br 0 (;@5;)
            end
            br 2 (;@2;)
          end
          call 1
          br 0 (;@3;)
        end
        unreachable
      end
    end
    global.get 0
    i64.const 0
    i64.sub
    global.set 0
    local.get $acc)
  (func $$2 (type 1) (param i32) (result i32)
    (local i64)
    global.get 0
    i64.const 11
    i64.sub
    local.tee 1
    global.set 0
    local.get 1
    i64.const 0
    i64.lt_s
    if  ;; label = @1
      call 1
    end
    local.get 0
    call $sum
    local.get 0
    call $sum
    i32.add)
  (global (;0;) (mut i64) (i64.const 0))
  (export "sum" (func $sum))
  (export "twice" (func $$2))
  (export "wisp.meter.fuel" (global 0)))
