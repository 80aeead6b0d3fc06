package wisp

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
)

// fakeHost answers the guest ABI from memory, as the node's host
// functions do: results into the caller's buffer or CodeBufferTooSmall
// with the size needed, a message for lastError after each failure.
type fakeHost struct {
	env      []string
	stores   map[string]map[string][]byte // declared stores
	handles  []string                     // handle i+1 is stores[handles[i]]
	vars     map[string]string            // declared variables; "" with noValue: declared without a value
	noValue  map[string]bool
	logs     []fakeLog
	listPage int // keys per list_keys call (the node's limit); 0: 1000
	calls    map[string]int
	last     string
	sends    []fakeSend
	replies  map[string]*fakeReply // by URL
	open     map[uint32]*fakeReply
	nextResp uint32
}

type fakeLog struct {
	level        uint32
	context, msg string
	fields       []string
}

type fakeSend struct {
	method, url, headers, body string
}

type fakeReply struct {
	status  uint32
	headers string
	body    []byte
	read    int
	deny    string // if set, send fails with CodeDenied and this message
}

func newFakeHost() *fakeHost {
	return &fakeHost{
		stores:  map[string]map[string][]byte{"default": {}},
		vars:    map[string]string{},
		noValue: map[string]bool{},
		calls:   map[string]int{},
		replies: map[string]*fakeReply{},
		open:    map[uint32]*fakeReply{},
	}
}

func (f *fakeHost) failWith(code Code, msg string) Code {
	f.last = msg
	return code
}

// out copies v into buf as the host's output functions do.
func out(v []byte, buf []byte) (int, Code) {
	if len(v) > len(buf) {
		return len(v), CodeBufferTooSmall
	}
	copy(buf, v)
	return len(v), CodeOK
}

func (f *fakeHost) environ() []string { return f.env }
func (f *fakeHost) lastError() string { return f.last }

func (f *fakeHost) store(h uint32) (map[string][]byte, Code) {
	if h == 0 || int(h) > len(f.handles) {
		return nil, f.failWith(CodeInvalid, "key-value handle "+strconv.Itoa(int(h))+" is not open")
	}
	return f.stores[f.handles[h-1]], CodeOK
}

func (f *fakeHost) kvOpen(name string) (uint32, Code) {
	f.calls["open"]++
	if _, ok := f.stores[name]; !ok {
		return 0, f.failWith(CodeDenied, `app does not declare key-value store "`+name+`"`)
	}
	f.handles = append(f.handles, name)
	return uint32(len(f.handles)), CodeOK
}

func (f *fakeHost) kvGet(h uint32, key string, buf []byte) (int, Code) {
	f.calls["get"]++
	s, code := f.store(h)
	if code != CodeOK {
		return 0, code
	}
	v, ok := s[key]
	if !ok {
		return 0, CodeNotFound
	}
	return out(v, buf)
}

func (f *fakeHost) kvSet(h uint32, key string, value []byte, ttl int64) Code {
	f.calls["set"]++
	s, code := f.store(h)
	if code != CodeOK {
		return code
	}
	if key == "" {
		return f.failWith(CodeInvalid, "key-value key is empty")
	}
	if ttl > 0 {
		f.calls["ttl:"+strconv.FormatInt(ttl, 10)]++
	}
	s[key] = append([]byte(nil), value...)
	return CodeOK
}

func (f *fakeHost) kvDelete(h uint32, key string) Code {
	s, code := f.store(h)
	if code != CodeOK {
		return code
	}
	delete(s, key)
	return CodeOK
}

func (f *fakeHost) kvExists(h uint32, key string) Code {
	s, code := f.store(h)
	if code != CodeOK {
		return code
	}
	if _, ok := s[key]; !ok {
		return CodeNotFound
	}
	return CodeOK
}

func (f *fakeHost) kvListKeys(h uint32, prefix, after string, buf []byte) (int, bool, Code) {
	f.calls["list_keys"]++
	s, code := f.store(h)
	if code != CodeOK {
		return 0, false, code
	}
	var keys []string
	for k := range s {
		if strings.HasPrefix(k, prefix) && k > after {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	page := f.listPage
	if page == 0 {
		page = 1000
	}
	more := false
	if len(keys) > page {
		keys, more = keys[:page], true
	}
	var b []byte
	for i, k := range keys {
		if len(b)+len(k)+1 > len(buf) {
			if i == 0 {
				return len(k) + 1, false, CodeBufferTooSmall
			}
			more = true
			break
		}
		b = append(append(b, k...), 0)
	}
	copy(buf, b)
	return len(b), more, CodeOK
}

func (f *fakeHost) kvIncrement(h uint32, key string, delta int64) (int64, Code) {
	s, code := f.store(h)
	if code != CodeOK {
		return 0, code
	}
	n := int64(0)
	if v, ok := s[key]; ok {
		var err error
		if n, err = strconv.ParseInt(string(v), 10, 64); err != nil {
			return 0, f.failWith(CodeInvalid, "value of "+key+" is not a decimal integer")
		}
	}
	n += delta
	s[key] = []byte(strconv.FormatInt(n, 10))
	return n, CodeOK
}

func (f *fakeHost) kvCompareAndSwap(h uint32, key string, old []byte, expectAbsent bool, new []byte) (bool, Code) {
	s, code := f.store(h)
	if code != CodeOK {
		return false, code
	}
	cur, ok := s[key]
	if expectAbsent && ok || !expectAbsent && (!ok || !bytes.Equal(cur, old)) {
		return false, CodeOK
	}
	s[key] = append([]byte(nil), new...)
	return true, CodeOK
}

func (f *fakeHost) configGet(name string, buf []byte) (int, Code) {
	f.calls["config"]++
	v, ok := f.vars[name]
	switch {
	case !ok:
		return 0, f.failWith(CodeDenied, `app does not declare variable "`+name+`"`)
	case f.noValue[name]:
		return 0, CodeNotFound
	}
	return out([]byte(v), buf)
}

func (f *fakeHost) log(level uint32, context, msg string, fields []byte) Code {
	var fs []string
	if len(fields) > 0 {
		if fields[len(fields)-1] != 0 {
			return f.failWith(CodeInvalid, "fields must end with NUL")
		}
		fs = strings.Split(string(fields[:len(fields)-1]), "\x00")
		if len(fs)%2 != 0 || len(fs) > 2*maxLogFields {
			return f.failWith(CodeInvalid, "bad fields")
		}
	}
	f.logs = append(f.logs, fakeLog{level: level, context: context, msg: msg, fields: fs})
	return CodeOK
}

func (f *fakeHost) httpSend(method, url string, headers, body []byte) (uint32, Code) {
	f.sends = append(f.sends, fakeSend{method, url, string(headers), string(body)})
	r, ok := f.replies[url]
	switch {
	case !ok:
		return 0, f.failWith(CodeUnavailable, "unavailable: connection refused")
	case r.deny != "":
		return 0, f.failWith(CodeDenied, r.deny)
	}
	f.nextResp++
	c := *r
	f.open[f.nextResp] = &c
	return f.nextResp, CodeOK
}

func (f *fakeHost) reply(h uint32) (*fakeReply, Code) {
	r, ok := f.open[h]
	if !ok {
		return nil, f.failWith(CodeInvalid, "response handle is not open")
	}
	return r, CodeOK
}

func (f *fakeHost) httpStatus(h uint32) (uint32, Code) {
	r, code := f.reply(h)
	if code != CodeOK {
		return 0, code
	}
	return r.status, CodeOK
}

func (f *fakeHost) httpHeaders(h uint32, buf []byte) (int, Code) {
	r, code := f.reply(h)
	if code != CodeOK {
		return 0, code
	}
	return out([]byte(r.headers), buf)
}

func (f *fakeHost) httpRead(h uint32, buf []byte) (int, Code) {
	r, code := f.reply(h)
	if code != CodeOK {
		return 0, code
	}
	n := copy(buf, r.body[r.read:])
	r.read += n
	return n, CodeOK
}

func (f *fakeHost) httpClose(h uint32) Code {
	if _, code := f.reply(h); code != CodeOK {
		return code
	}
	delete(f.open, h)
	return CodeOK
}
