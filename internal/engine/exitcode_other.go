//go:build !windows

package engine

// exitCodeTrap is 128+SIGABRT, the status of a process that called
// abort(3), which wasmtime exits with for a trap (rustix's
// EXIT_SIGNALED_SIGABRT).
const exitCodeTrap = 134
