;; reactor-refglobal.wat: a reactor with a mutable funcref global, whose
;; value a snapshot cannot capture: its deploy must be refused.
(module
  (memory 1)
  (global $f (mut funcref) (ref.null func))
  (func (export "_initialize"))
  (func (export "wisp_handle")))
