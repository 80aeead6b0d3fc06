package wisp

// host is the guest ABI of docs/guest-abi.md in Go terms: one method per
// imported function, strings and byte slices instead of pointers and
// lengths, results in buffers the caller owns. The node's implementation
// is wasmHost (host_wasip1.go); outside GOOS=wasip1 it is noHost
// (host_other.go), and tests use a fake.
//
// Methods returning a size n with a buffer set n to the size of the whole
// result, also when they answer CodeBufferTooSmall.
type host interface {
	// environ returns the environment of the request being handled, as
	// KEY=VALUE strings, read at the time of the call.
	environ() []string
	// lastError is wisp:host/error@1.last.
	lastError() string

	kvOpen(name string) (uint32, Code)
	kvGet(store uint32, key string, buf []byte) (int, Code)
	kvSet(store uint32, key string, value []byte, ttlMillis int64) Code
	kvDelete(store uint32, key string) Code
	kvExists(store uint32, key string) Code
	kvListKeys(store uint32, prefix, after string, buf []byte) (n int, more bool, code Code)
	kvIncrement(store uint32, key string, delta int64) (int64, Code)
	kvCompareAndSwap(store uint32, key string, old []byte, expectAbsent bool, new []byte) (bool, Code)

	configGet(name string, buf []byte) (int, Code)

	log(level uint32, context, msg string, fields []byte) Code

	httpSend(method, url string, headers, body []byte) (uint32, Code)
	httpStatus(resp uint32) (uint32, Code)
	httpHeaders(resp uint32, buf []byte) (int, Code)
	httpRead(resp uint32, buf []byte) (int, Code)
	httpClose(resp uint32) Code
}

// firstBuffer is the size of the buffer a result is first asked into;
// a larger result costs a second call with a buffer of its exact size.
const firstBuffer = 1024

// fetch calls call with a buffer and returns the result, calling again
// with a buffer of the size the host asks for while it answers
// CodeBufferTooSmall (a value can grow between two calls).
func fetch(call func(buf []byte) (int, Code)) ([]byte, Code) {
	buf := make([]byte, firstBuffer)
	for {
		n, code := call(buf)
		switch {
		case code == CodeOK && n <= len(buf):
			return buf[:n], CodeOK
		case code == CodeOK:
			return nil, CodeFault // the host claims to have written past the buffer
		case code == CodeBufferTooSmall && n > len(buf):
			buf = make([]byte, n)
		default:
			return nil, code
		}
	}
}

// fetchString is fetch for a text result.
func fetchString(call func(buf []byte) (int, Code)) (string, Code) {
	b, code := fetch(call)
	return string(b), code
}
