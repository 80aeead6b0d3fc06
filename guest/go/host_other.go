//go:build !wasip1

package wisp

import (
	"bytes"
	"fmt"
	"os"
	"strings"
)

// noHost is the host outside GOOS=wasip1, where no Wisp node answers:
// the request comes from the process's own environment (so Serve runs a
// handler as a plain CGI program), log entries go to standard error as
// text, and every other service fails with ErrUnavailable, saying why.
type noHost struct{}

// defaultHost is the host outside GOOS=wasip1.
func defaultHost() host { return noHost{} }

// notOnNode is the message of every service call outside a node.
const notOnNode = "platform services need a Wisp node: build with GOOS=wasip1 GOARCH=wasm and deploy the module with wisp deploy"

func (noHost) environ() []string { return os.Environ() }
func (noHost) lastError() string { return notOnNode }

func (noHost) kvOpen(string) (uint32, Code)                    { return 0, CodeUnavailable }
func (noHost) kvGet(uint32, string, []byte) (int, Code)        { return 0, CodeUnavailable }
func (noHost) kvSet(uint32, string, []byte, int64) Code        { return CodeUnavailable }
func (noHost) kvDelete(uint32, string) Code                    { return CodeUnavailable }
func (noHost) kvExists(uint32, string) Code                    { return CodeUnavailable }
func (noHost) kvIncrement(uint32, string, int64) (int64, Code) { return 0, CodeUnavailable }
func (noHost) kvListKeys(uint32, string, string, []byte) (int, bool, Code) {
	return 0, false, CodeUnavailable
}
func (noHost) kvCompareAndSwap(uint32, string, []byte, bool, []byte) (bool, Code) {
	return false, CodeUnavailable
}
func (noHost) configGet(string, []byte) (int, Code) { return 0, CodeUnavailable }

// log writes the entry to standard error as one line:
// "LEVEL [context] msg key=value ...".
func (noHost) log(level uint32, context, msg string, fields []byte) Code {
	var b strings.Builder
	b.WriteString(levelName(level))
	if context != "" {
		fmt.Fprintf(&b, " [%s]", context)
	}
	b.WriteString(" " + msg)
	parts := bytes.Split(bytes.TrimSuffix(fields, []byte{0}), []byte{0})
	for i := 0; i+1 < len(parts); i += 2 {
		fmt.Fprintf(&b, " %s=%q", parts[i], parts[i+1])
	}
	b.WriteByte('\n')
	os.Stderr.WriteString(b.String())
	return CodeOK
}

func (noHost) httpSend(string, string, []byte, []byte) (uint32, Code) { return 0, CodeUnavailable }
func (noHost) httpStatus(uint32) (uint32, Code)                       { return 0, CodeUnavailable }
func (noHost) httpHeaders(uint32, []byte) (int, Code)                 { return 0, CodeUnavailable }
func (noHost) httpRead(uint32, []byte) (int, Code)                    { return 0, CodeUnavailable }
func (noHost) httpClose(uint32) Code                                  { return CodeUnavailable }
