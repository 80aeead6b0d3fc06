;; reactor-silent.wat: a reactor whose handler returns without writing
;; anything, like a C or Rust reactor that printed into a stdio buffer it
;; never flushed. The node answers 502 and logs a line that names flushing.
(module
  (memory (export "memory") 1)
  (func (export "wisp_handle")))
