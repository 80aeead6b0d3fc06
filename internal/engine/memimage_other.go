//go:build !linux

package engine

// mappedFile maps nothing on this platform: instances copy the image.
type mappedFile struct{}

func openMappedFile([]byte, *regionPool) (mappedFile, bool, error) { return mappedFile{}, false, nil }

func (mappedFile) close() error { return nil }

func (mappedFile) instanceMemory(int, uint64, *regionPool) experimentalMemory { return nil }

func (mappedFile) copyTo([]byte) error { return nil }

func (mappedFile) acquire() bool { return false }

func (mappedFile) drop() {}
