package cli

import (
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/wisphq/wisp/internal/testnode"
)

// openPTY returns the two ends of a new pseudo-terminal.
func openPTY(t *testing.T) (master, tty *os.File) {
	t.Helper()
	master, err := os.OpenFile("/dev/ptmx", os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("no pseudo-terminals here: %v", err)
	}
	t.Cleanup(func() { master.Close() })
	var unlock int32
	var num uint32
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCSPTLCK, uintptr(unsafe.Pointer(&unlock))); e != 0 {
		t.Skipf("unlock the pseudo-terminal: %v", e)
	}
	if _, _, e := syscall.Syscall(syscall.SYS_IOCTL, master.Fd(), syscall.TIOCGPTN, uintptr(unsafe.Pointer(&num))); e != 0 {
		t.Skipf("name the pseudo-terminal: %v", e)
	}
	tty, err = os.OpenFile("/dev/pts/"+strconv.Itoa(int(num)), os.O_RDWR|syscall.O_NOCTTY, 0)
	if err != nil {
		t.Skipf("open the pseudo-terminal: %v", err)
	}
	t.Cleanup(func() { tty.Close() })
	return master, tty
}

// On a terminal, `wisp secret set` asks for the value with echo off, and
// turns echo back on afterwards.
func TestSecretSetOnATerminal(t *testing.T) {
	master, tty := openPTY(t)
	n := newServicesNode(t)
	n.deploy(t, "shop", shopVars())
	done := make(chan result, 1)
	go func() { done <- n.run(t, tty, "secret", "set", "shop", "api_key") }()
	// Type the value once the command has turned echo off, as a person
	// would after the prompt.
	err := testnode.Poll(10*time.Second, func() (bool, error) {
		state, err := termios(tty, syscall.TCGETS, nil)
		return err == nil && state.Lflag&syscall.ECHO == 0, err
	})
	if err != nil {
		t.Fatalf("echo never went off: %v", err)
	}
	if _, err := master.Write([]byte(cliSecret + "\n")); err != nil {
		t.Fatal(err)
	}
	got := (<-done).must(t, 0)
	if got.stderr != "value of secret api_key of shop (not shown): \n" || got.stdout != "set secret api_key of shop\n" {
		t.Errorf("set on a terminal: %+v", got)
	}
	state, err := termios(tty, syscall.TCGETS, nil)
	if err != nil || state.Lflag&syscall.ECHO == 0 {
		t.Errorf("echo is still off after the command: %v", err)
	}
	// What the terminal showed: the line discipline echoes only with ECHO
	// on, so the secret must not be there.
	master.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
	shown := make([]byte, 4096)
	k, _ := master.Read(shown)
	if strings.Contains(string(shown[:k]), cliSecret) {
		t.Errorf("the terminal echoed the secret: %q", shown[:k])
	}
	vars, err := n.node.Variables(t.Context(), "shop")
	if err != nil || vars[0].Name != "api_key" || !vars[0].HasValue {
		t.Fatalf("the secret was not set: %+v, %v", vars, err)
	}
}
