;; tablebomb.wat: declares a table of 100,000,000 funcref elements (800 MB of
;; host memory per instance in wazero, outside the memory limit, which
;; covers linear memory only). A deploy must refuse it.
;; Build: wat2wasm tablebomb.wat -o tablebomb.wasm (or ./build.sh)
(module
  (table 100000000 funcref)
  (memory (export "memory") 1)
  (func (export "_start"))
)
