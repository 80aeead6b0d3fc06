;; An instance that never returns, called from another instance's export:
;; a request's timeout must stop it though the call entered the graph
;; elsewhere.
(module
  (func (export "spin") (loop $l (br $l))))
