package wasi

import (
	"context"
	"fmt"

	"github.com/wisphq/wisp/internal/component/canon"
)

// addFilesystem adds wasi:filesystem's types and preopens. No directory
// is preopened, so no descriptor or directory-entry-stream ever exists:
// their methods cannot be reached through the canonical ABI (lifting the
// handle traps first) and refuse with an error if called anyway.
func addFilesystem(m map[string]Interface, t *types) {
	str := canon.String()
	u64 := canon.U64()
	self := canon.Borrow(Descriptor)
	res := func(ok *canon.Type) *canon.Type { return canon.Result(ok, t.errorCode) }
	unit := res(nil)
	method := func(name string, params []*canon.Type, result *canon.Type) (string, Func) {
		full := "[method]descriptor." + name
		return full, fn(append([]*canon.Type{self}, params...), result, refuse(full))
	}
	types := Interface{
		"[resource-drop]descriptor":             dropFunc(Descriptor),
		"[resource-drop]directory-entry-stream": dropFunc(DirectoryEntryStream),
		"[method]directory-entry-stream.read-directory-entry": fn(ps(canon.Borrow(DirectoryEntryStream)),
			res(canon.Option(t.directoryEntry)), refuse("[method]directory-entry-stream.read-directory-entry")),
		"filesystem-error-code": fn(ps(canon.Borrow(Error)), canon.Option(t.errorCode), func(_ context.Context, s *State, args []any) ([]any, error) {
			if _, err := get[*ioError](s, Error, args[0]); err != nil {
				return nil, err
			}
			return one(none())
		}),
	}
	for _, d := range []struct {
		name   string
		params []*canon.Type
		result *canon.Type
	}{
		{"read-via-stream", ps(u64), res(canon.Own(InputStream))},
		{"write-via-stream", ps(u64), res(canon.Own(OutputStream))},
		{"append-via-stream", nil, res(canon.Own(OutputStream))},
		{"advise", ps(u64, u64, t.advice), unit},
		{"sync-data", nil, unit},
		{"get-flags", nil, res(t.descriptorFlags)},
		{"get-type", nil, res(t.descriptorType)},
		{"set-size", ps(u64), unit},
		{"set-times", ps(t.newTimestamp, t.newTimestamp), unit},
		{"read", ps(u64, u64), res(canon.Tuple(t.bytes, canon.Bool()))},
		{"write", ps(t.bytes, u64), res(u64)},
		{"read-directory", nil, res(canon.Own(DirectoryEntryStream))},
		{"sync", nil, unit},
		{"create-directory-at", ps(str), unit},
		{"stat", nil, res(t.descriptorStat)},
		{"stat-at", ps(t.pathFlags, str), res(t.descriptorStat)},
		{"set-times-at", ps(t.pathFlags, str, t.newTimestamp, t.newTimestamp), unit},
		{"link-at", ps(t.pathFlags, str, canon.Borrow(Descriptor), str), unit},
		{"open-at", ps(t.pathFlags, str, t.openFlags, t.descriptorFlags), res(canon.Own(Descriptor))},
		{"readlink-at", ps(str), res(str)},
		{"remove-directory-at", ps(str), unit},
		{"rename-at", ps(str, canon.Borrow(Descriptor), str), unit},
		{"symlink-at", ps(str, str), unit},
		{"unlink-file-at", ps(str), unit},
		{"is-same-object", ps(canon.Borrow(Descriptor)), canon.Bool()},
		{"metadata-hash", nil, res(t.hashValue)},
		{"metadata-hash-at", ps(t.pathFlags, str), res(t.hashValue)},
	} {
		name, f := method(d.name, d.params, d.result)
		types[name] = f
	}
	m["wasi:filesystem/types"] = types
	m["wasi:filesystem/preopens"] = Interface{
		"get-directories": fn(nil, canon.List(canon.Tuple(canon.Own(Descriptor), str)), func(context.Context, *State, []any) ([]any, error) {
			return one([]any{})
		}),
	}
}

// refuse is the Call of a function that needs a filesystem resource, none
// of which exists.
func refuse(name string) func(context.Context, *State, []any) ([]any, error) {
	return func(context.Context, *State, []any) ([]any, error) {
		return nil, &canon.Trap{Msg: fmt.Sprintf("wasi:filesystem/types %s was called, but no directory is preopened, so no descriptor exists", name)}
	}
}
