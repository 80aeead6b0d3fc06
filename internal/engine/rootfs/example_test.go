package rootfs_test

import (
	"fmt"
	"log"
	"os"
	"path/filepath"

	"github.com/tetratelabs/wazero"
	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/wisphq/wisp/internal/engine/rootfs"
)

// A guest can make a symbolic link to the directory above its mount, but
// cannot use it to reach anything there.
func Example() {
	dir, err := os.MkdirTemp("", "rootfs-example")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	data := filepath.Join(dir, "data")
	if err := os.Mkdir(data, 0o755); err != nil {
		log.Fatal(err)
	}

	fsys, err := rootfs.Open(data)
	if err != nil {
		log.Fatal(err)
	}
	defer fsys.Close() // after the module using it has closed
	config := wazero.NewModuleConfig().
		WithFSConfig(wazero.NewFSConfig().(sysfs.FSConfig).WithSysFSMount(fsys, "/data"))
	_ = config // instantiate a module with it

	// What the guest's symlink("..", "/data/up") and
	// open("/data/up/escaped.txt", O_WRONLY|O_CREAT) become:
	fmt.Println("symlink:", fsys.Symlink("..", "up"))
	_, errno := fsys.OpenFile("up/escaped.txt", experimentalsys.O_WRONLY|experimentalsys.O_CREAT, 0o644)
	fmt.Println("open:", errno)
	_, err = os.Lstat(filepath.Join(dir, "escaped.txt"))
	fmt.Println("created outside:", err == nil)
	// Output:
	// symlink: success
	// open: operation not permitted
	// created outside: false
}
