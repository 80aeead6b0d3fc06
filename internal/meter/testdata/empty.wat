;; A module with no sections: the rewriter adds every one it needs.
(module)
