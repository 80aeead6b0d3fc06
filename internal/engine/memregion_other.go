//go:build !linux

package engine

// regionPool maps linear memories outside the Go heap on Linux only
// (memregion_linux.go); elsewhere every memory comes from the Go heap.
type regionPool struct{}

func (*regionPool) get(uint64) []byte  { return nil }
func (*regionPool) put([]byte, uint64) {}
func (*regionPool) close()             {}
