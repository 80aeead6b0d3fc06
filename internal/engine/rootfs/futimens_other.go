//go:build !linux

package rootfs

import (
	"os"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// futimens is not implemented here: wazero's fd_filestat_set_times then
// falls back to FS.Utimens with the file's path.
func futimens(*os.File, int64, int64) experimentalsys.Errno {
	return experimentalsys.ENOSYS
}
