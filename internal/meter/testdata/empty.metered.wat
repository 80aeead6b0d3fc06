(module
  (type (;0;) (func))
  (import "wisp:meter" "refuel" (func (;0;) (type 0)))
  (global (;0;) (mut i64) (i64.const 0))
  (export "wisp.meter.fuel" (global 0)))
