//go:build !linux

package engine

import "sync/atomic"

// regionPool maps linear memories outside the Go heap on Linux only
// (memregion_linux.go); elsewhere every memory comes from the Go heap.
type regionPool struct {
	held atomic.Int64 // always 0: the Go runtime counts every memory here
}

func (*regionPool) get(uint64) ([]byte, uint64) { return nil, 0 }
func (*regionPool) grew(uint64)                 {}
func (*regionPool) put([]byte, uint64, uint64)  {}
func (*regionPool) close()                      {}
