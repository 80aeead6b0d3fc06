//go:build !unix

package rootfs

// Elsewhere FS.OpenFile checks O_DIRECTORY after opening, and O_NONBLOCK
// is ignored.
const (
	oDirectory = 0
	oNonblock  = 0
)
