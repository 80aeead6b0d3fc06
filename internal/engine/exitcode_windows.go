package engine

// exitCodeTrap is 3, what abort exits with on Windows and wasmtime exits
// with for a trap there.
const exitCodeTrap = 3
