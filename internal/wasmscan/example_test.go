package wasmscan_test

import (
	"errors"
	"fmt"

	"github.com/wisphq/wisp/internal/wasmscan"
)

// A 30-byte module that declares 2^32-1 locals in one function. Compiling
// it makes wazero allocate tens of GiB and the Go runtime abort; Scan
// refuses it before wazero sees it.
func ExampleScan() {
	bomb := []byte{
		0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // header
		0x01, 0x04, 0x01, 0x60, 0x00, 0x00, // type section: () -> ()
		0x03, 0x02, 0x01, 0x00, // function section: one function of type 0
		0x0a, 0x0a, 0x01, 0x08, 0x01, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x7e, 0x0b, // code: 2^32-1 i64 locals
	}
	_, err := wasmscan.Scan(bomb, wasmscan.DefaultLimits)
	fmt.Println(errors.Is(err, wasmscan.ErrLimit))
	fmt.Println(err)

	var limit *wasmscan.LimitError
	if errors.As(err, &limit) {
		fmt.Println(limit.Limit, limit.Actual, limit.Max)
	}
	// Output:
	// true
	// function 0 at offset 0x15: declares 4294967295 locals; the limit is 50000 (MaxLocalsPerFunction): build with optimizations (-O2, wasm-opt --coalesce-locals) so the compiler reuses locals, or split the function
	// MaxLocalsPerFunction 4294967295 50000
}
