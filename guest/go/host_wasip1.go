//go:build wasip1

package wisp

import (
	"bytes"
	"unsafe"
)

// The imports of docs/guest-abi.md. Every pointer is an offset in the
// module's linear memory: Go on wasm keeps everything there, and the
// compiler passes an unsafe.Pointer as that i32 offset. The host never
// keeps a pointer after the call returns, so //go:noescape lets the
// compiler keep the small out values on the stack.

//go:wasmimport wasi_snapshot_preview1 environ_sizes_get
//go:noescape
func wasiEnvironSizesGet(count, size unsafe.Pointer) uint32

//go:wasmimport wasi_snapshot_preview1 environ_get
//go:noescape
func wasiEnvironGet(ptrs, buf unsafe.Pointer) uint32

//go:wasmimport wisp:host/error@1 last
//go:noescape
func hostErrorLast(buf unsafe.Pointer, capacity uint32, lenPtr unsafe.Pointer) uint32

//go:wasmimport wisp:keyvalue/store@1 open
//go:noescape
func kvStoreOpen(name unsafe.Pointer, nameLen uint32, handle unsafe.Pointer) uint32

//go:wasmimport wisp:keyvalue/store@1 get
//go:noescape
func kvStoreGet(store uint32, key unsafe.Pointer, keyLen uint32, buf unsafe.Pointer, capacity uint32, lenPtr unsafe.Pointer) uint32

//go:wasmimport wisp:keyvalue/store@1 set
//go:noescape
func kvStoreSet(store uint32, key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32, ttlMillis int64) uint32

//go:wasmimport wisp:keyvalue/store@1 delete
//go:noescape
func kvStoreDelete(store uint32, key unsafe.Pointer, keyLen uint32) uint32

//go:wasmimport wisp:keyvalue/store@1 exists
//go:noescape
func kvStoreExists(store uint32, key unsafe.Pointer, keyLen uint32) uint32

//go:wasmimport wisp:keyvalue/store@1 list_keys
//go:noescape
func kvStoreListKeys(store uint32, prefix unsafe.Pointer, prefixLen uint32, after unsafe.Pointer, afterLen uint32, buf unsafe.Pointer, capacity uint32, lenPtr, morePtr unsafe.Pointer) uint32

//go:wasmimport wisp:keyvalue/atomics@1 increment
//go:noescape
func kvAtomicsIncrement(store uint32, key unsafe.Pointer, keyLen uint32, delta int64, result unsafe.Pointer) uint32

//go:wasmimport wisp:keyvalue/atomics@1 compare_and_swap
//go:noescape
func kvAtomicsCompareAndSwap(store uint32, key unsafe.Pointer, keyLen uint32, old unsafe.Pointer, oldLen uint32, expectAbsent uint32, new unsafe.Pointer, newLen uint32, swapped unsafe.Pointer) uint32

//go:wasmimport wisp:config/store@1 get
//go:noescape
func configStoreGet(name unsafe.Pointer, nameLen uint32, buf unsafe.Pointer, capacity uint32, lenPtr unsafe.Pointer) uint32

//go:wasmimport wisp:logging/logging@1 log
//go:noescape
func loggingLog(level uint32, context unsafe.Pointer, contextLen uint32, msg unsafe.Pointer, msgLen uint32, fields unsafe.Pointer, fieldsLen uint32) uint32

//go:wasmimport wisp:http/outgoing-handler@1 send
//go:noescape
func httpOutSend(method unsafe.Pointer, methodLen uint32, url unsafe.Pointer, urlLen uint32, headers unsafe.Pointer, headersLen uint32, body unsafe.Pointer, bodyLen uint32, response unsafe.Pointer) uint32

//go:wasmimport wisp:http/outgoing-handler@1 status
//go:noescape
func httpOutStatus(response uint32, status unsafe.Pointer) uint32

//go:wasmimport wisp:http/outgoing-handler@1 headers
//go:noescape
func httpOutHeaders(response uint32, buf unsafe.Pointer, capacity uint32, lenPtr unsafe.Pointer) uint32

//go:wasmimport wisp:http/outgoing-handler@1 read
//go:noescape
func httpOutRead(response uint32, buf unsafe.Pointer, capacity uint32, n unsafe.Pointer) uint32

//go:wasmimport wisp:http/outgoing-handler@1 close
func httpOutClose(response uint32) uint32

// wasmHost calls the node through the imports above.
type wasmHost struct{}

// defaultHost is the host of a module running on a Wisp node.
func defaultHost() host { return wasmHost{} }

// str and data return a string's or a slice's pointer and length for a
// host call; an empty one is (nil, 0).
func str(s string) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.StringData(s)), uint32(len(s))
}

func data(b []byte) (unsafe.Pointer, uint32) {
	return unsafe.Pointer(unsafe.SliceData(b)), uint32(len(b))
}

func (wasmHost) environ() []string {
	var count, size uint32
	if wasiEnvironSizesGet(unsafe.Pointer(&count), unsafe.Pointer(&size)) != 0 || count == 0 {
		return nil
	}
	ptrs := make([]uint32, count)
	buf := make([]byte, size)
	if wasiEnvironGet(unsafe.Pointer(&ptrs[0]), unsafe.Pointer(&buf[0])) != 0 {
		return nil
	}
	base := uint32(uintptr(unsafe.Pointer(&buf[0])))
	env := make([]string, 0, count)
	for _, p := range ptrs {
		if p < base || p-base >= size {
			continue
		}
		kv := buf[p-base:]
		if end := bytes.IndexByte(kv, 0); end >= 0 {
			kv = kv[:end]
		}
		env = append(env, string(kv))
	}
	return env
}

func (wasmHost) lastError() string {
	msg, code := fetchString(func(buf []byte) (int, Code) {
		p, c := data(buf)
		var n uint32
		code := Code(hostErrorLast(p, c, unsafe.Pointer(&n)))
		return int(n), code
	})
	if code != CodeOK {
		return ""
	}
	return msg
}

func (wasmHost) kvOpen(name string) (uint32, Code) {
	p, n := str(name)
	var handle uint32
	code := Code(kvStoreOpen(p, n, unsafe.Pointer(&handle)))
	return handle, code
}

func (wasmHost) kvGet(store uint32, key string, buf []byte) (int, Code) {
	kp, kn := str(key)
	bp, bc := data(buf)
	var n uint32
	code := Code(kvStoreGet(store, kp, kn, bp, bc, unsafe.Pointer(&n)))
	return int(n), code
}

func (wasmHost) kvSet(store uint32, key string, value []byte, ttlMillis int64) Code {
	kp, kn := str(key)
	vp, vn := data(value)
	return Code(kvStoreSet(store, kp, kn, vp, vn, ttlMillis))
}

func (wasmHost) kvDelete(store uint32, key string) Code {
	kp, kn := str(key)
	return Code(kvStoreDelete(store, kp, kn))
}

func (wasmHost) kvExists(store uint32, key string) Code {
	kp, kn := str(key)
	return Code(kvStoreExists(store, kp, kn))
}

func (wasmHost) kvListKeys(store uint32, prefix, after string, buf []byte) (int, bool, Code) {
	pp, pn := str(prefix)
	ap, an := str(after)
	bp, bc := data(buf)
	var n, more uint32
	code := Code(kvStoreListKeys(store, pp, pn, ap, an, bp, bc, unsafe.Pointer(&n), unsafe.Pointer(&more)))
	return int(n), more != 0, code
}

func (wasmHost) kvIncrement(store uint32, key string, delta int64) (int64, Code) {
	kp, kn := str(key)
	var result int64
	code := Code(kvAtomicsIncrement(store, kp, kn, delta, unsafe.Pointer(&result)))
	return result, code
}

func (wasmHost) kvCompareAndSwap(store uint32, key string, old []byte, expectAbsent bool, new []byte) (bool, Code) {
	kp, kn := str(key)
	op, on := data(old)
	np, nn := data(new)
	absent := uint32(0)
	if expectAbsent {
		absent = 1
	}
	var swapped uint32
	code := Code(kvAtomicsCompareAndSwap(store, kp, kn, op, on, absent, np, nn, unsafe.Pointer(&swapped)))
	return swapped != 0, code
}

func (wasmHost) configGet(name string, buf []byte) (int, Code) {
	np, nn := str(name)
	bp, bc := data(buf)
	var n uint32
	code := Code(configStoreGet(np, nn, bp, bc, unsafe.Pointer(&n)))
	return int(n), code
}

func (wasmHost) log(level uint32, context, msg string, fields []byte) Code {
	cp, cn := str(context)
	mp, mn := str(msg)
	fp, fn := data(fields)
	return Code(loggingLog(level, cp, cn, mp, mn, fp, fn))
}

func (wasmHost) httpSend(method, url string, headers, body []byte) (uint32, Code) {
	mp, mn := str(method)
	up, un := str(url)
	hp, hn := data(headers)
	bp, bn := data(body)
	var resp uint32
	code := Code(httpOutSend(mp, mn, up, un, hp, hn, bp, bn, unsafe.Pointer(&resp)))
	return resp, code
}

func (wasmHost) httpStatus(resp uint32) (uint32, Code) {
	var status uint32
	code := Code(httpOutStatus(resp, unsafe.Pointer(&status)))
	return status, code
}

func (wasmHost) httpHeaders(resp uint32, buf []byte) (int, Code) {
	bp, bc := data(buf)
	var n uint32
	code := Code(httpOutHeaders(resp, bp, bc, unsafe.Pointer(&n)))
	return int(n), code
}

func (wasmHost) httpRead(resp uint32, buf []byte) (int, Code) {
	bp, bc := data(buf)
	var n uint32
	code := Code(httpOutRead(resp, bp, bc, unsafe.Pointer(&n)))
	return int(n), code
}

func (wasmHost) httpClose(resp uint32) Code {
	return Code(httpOutClose(resp))
}
