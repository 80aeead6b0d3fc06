package rootfs

import (
	"os"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
)

// toOSFlag converts wazero's open flags to os.OpenFile's. O_NOFOLLOW is
// handled by FS.OpenFile, since os.Root ignores it. O_DSYNC and O_RSYNC
// become O_SYNC, which implies both.
func toOSFlag(flag experimentalsys.Oflag) int {
	var osFlag int
	switch flag & (experimentalsys.O_RDONLY | experimentalsys.O_WRONLY | experimentalsys.O_RDWR) {
	case experimentalsys.O_WRONLY:
		osFlag = os.O_WRONLY
	case experimentalsys.O_RDWR:
		osFlag = os.O_RDWR
	default:
		osFlag = os.O_RDONLY
	}
	for _, m := range []struct {
		from experimentalsys.Oflag
		to   int
	}{
		{experimentalsys.O_APPEND, os.O_APPEND},
		{experimentalsys.O_CREAT, os.O_CREATE},
		{experimentalsys.O_EXCL, os.O_EXCL},
		{experimentalsys.O_TRUNC, os.O_TRUNC},
		{experimentalsys.O_SYNC, os.O_SYNC},
		{experimentalsys.O_DSYNC, os.O_SYNC},
		{experimentalsys.O_RSYNC, os.O_SYNC},
		{experimentalsys.O_DIRECTORY, oDirectory},
		{experimentalsys.O_NONBLOCK, oNonblock},
	} {
		if flag&m.from != 0 {
			osFlag |= m.to
		}
	}
	return osFlag
}
