package wasi

import (
	"context"
	"io"
	"io/fs"

	"github.com/wisphq/wisp/internal/component/canon"
)

// descriptor-flags and open-flags bits.
const (
	flagRead  = 1 << 0
	flagWrite = 1 << 1

	openCreate    = 1 << 0
	openDirectory = 1 << 1
	openExclusive = 1 << 2
	openTruncate  = 1 << 3
)

// addFilesystem adds wasi:filesystem's types and preopens over the
// State's Mounts: every mount is a preopened directory; everything is
// read-only (see docs/components.md for the error-code of each refusal).
func addFilesystem(m map[string]Interface, t *types) {
	str := canon.String()
	u64 := canon.U64()
	self := canon.Borrow(Descriptor)
	res := func(ok *canon.Type) *canon.Type { return canon.Result(ok, t.errorCode) }
	unit := res(nil)
	types := Interface{
		"[resource-drop]descriptor":             dropFunc(Descriptor),
		"[resource-drop]directory-entry-stream": dropFunc(DirectoryEntryStream),
		"[method]directory-entry-stream.read-directory-entry": fn(ps(canon.Borrow(DirectoryEntryStream)),
			res(canon.Option(t.directoryEntry)), readDirectoryEntry),
		"filesystem-error-code": fn(ps(canon.Borrow(Error)), canon.Option(t.errorCode), func(_ context.Context, s *State, args []any) ([]any, error) {
			e, err := get[*ioError](s, Error, args[0])
			if err != nil {
				return nil, err
			}
			if e.fsCode != nil {
				return one(some(*e.fsCode))
			}
			return one(none())
		}),
	}
	for _, d := range []struct {
		name   string
		params []*canon.Type
		result *canon.Type
		call   func(*State, *descriptor, []any) (any, error)
	}{
		{"read-via-stream", ps(u64), res(canon.Own(InputStream)), readViaStream},
		{"write-via-stream", ps(u64), res(canon.Own(OutputStream)), writeErr},
		{"append-via-stream", nil, res(canon.Own(OutputStream)), writeErr},
		{"advise", ps(u64, u64, t.advice), unit, nothing},
		{"sync-data", nil, unit, nothing},
		{"get-flags", nil, res(t.descriptorFlags), func(*State, *descriptor, []any) (any, error) { return uint32(flagRead), nil }},
		{"get-type", nil, res(t.descriptorType), func(_ *State, d *descriptor, _ []any) (any, error) {
			if d.dir {
				return uint32(typeDirectory), nil
			}
			return uint32(typeRegular), nil
		}},
		{"set-size", ps(u64), unit, writeErr},
		{"set-times", ps(t.newTimestamp, t.newTimestamp), unit, func(*State, *descriptor, []any) (any, error) {
			return nil, fsError(fsReadOnly)
		}},
		{"read", ps(u64, u64), res(canon.Tuple(t.bytes, canon.Bool())), readFile},
		{"write", ps(t.bytes, u64), res(u64), writeErr},
		{"read-directory", nil, res(canon.Own(DirectoryEntryStream)), readDirectory},
		{"sync", nil, unit, nothing},
		{"create-directory-at", ps(str), unit, createDirectoryAt},
		{"stat", nil, res(t.descriptorStat), func(_ *State, d *descriptor, _ []any) (any, error) {
			info, err := d.stat(d.path, false)
			if err != nil {
				return nil, err
			}
			return statValue(info), nil
		}},
		{"stat-at", ps(t.pathFlags, str), res(t.descriptorStat), func(_ *State, d *descriptor, args []any) (any, error) {
			info, err := d.lookup(args[2])
			if err != nil {
				return nil, err
			}
			return statValue(info), nil
		}},
		{"set-times-at", ps(t.pathFlags, str, t.newTimestamp, t.newTimestamp), unit, readOnly(2)},
		{"link-at", ps(t.pathFlags, str, canon.Borrow(Descriptor), str), unit, readOnly(2)},
		{"open-at", ps(t.pathFlags, str, t.openFlags, t.descriptorFlags), res(canon.Own(Descriptor)), openAt},
		{"readlink-at", ps(str), res(str), func(_ *State, d *descriptor, args []any) (any, error) {
			if _, err := d.lookup(args[1]); err != nil {
				return nil, err
			}
			return nil, fsError(fsInvalid) // it exists and is not a symbolic link (EINVAL)
		}},
		{"remove-directory-at", ps(str), unit, readOnly(1)},
		{"rename-at", ps(str, canon.Borrow(Descriptor), str), unit, readOnly(1)},
		{"symlink-at", ps(str, str), unit, readOnly(2)},
		{"unlink-file-at", ps(str), unit, readOnly(1)},
		{"metadata-hash", nil, res(t.hashValue), func(_ *State, d *descriptor, _ []any) (any, error) {
			return hashOf(d.mount, d.path), nil
		}},
		{"metadata-hash-at", ps(t.pathFlags, str), res(t.hashValue), func(_ *State, d *descriptor, args []any) (any, error) {
			p, _ := args[2].(string)
			name, mustDir, err := d.resolve(p)
			if err != nil {
				return nil, err
			}
			if _, err := d.stat(name, mustDir); err != nil {
				return nil, err
			}
			return hashOf(d.mount, name), nil
		}},
	} {
		types["[method]descriptor."+d.name] = fn(append([]*canon.Type{self}, d.params...), d.result, descriptorCall(d.call))
	}
	types["[method]descriptor.is-same-object"] = fn(ps(self, self), canon.Bool(), func(_ context.Context, s *State, args []any) ([]any, error) {
		a, err := get[*descriptor](s, Descriptor, args[0])
		if err != nil {
			return nil, err
		}
		b, err := get[*descriptor](s, Descriptor, args[1])
		if err != nil {
			return nil, err
		}
		return one(a.mount == b.mount && a.path == b.path)
	})
	m["wasi:filesystem/types"] = types
	m["wasi:filesystem/preopens"] = Interface{
		"get-directories": fn(nil, canon.List(canon.Tuple(canon.Own(Descriptor), str)), getDirectories),
	}
}

// getDirectories hands the guest one new directory descriptor per Mount.
func getDirectories(_ context.Context, s *State, _ []any) ([]any, error) {
	out := make([]any, 0, len(s.Mounts))
	for i, mt := range s.Mounts {
		r, err := s.add(&descriptor{mount: i, fsys: mt.FS, path: ".", dir: true})
		if err != nil {
			return nil, err
		}
		out = append(out, []any{r, mt.Guest})
	}
	return one(out)
}

func nothing(*State, *descriptor, []any) (any, error) { return nil, nil }

func writeErr(_ *State, d *descriptor, _ []any) (any, error) { return nil, d.writeErr() }

// lookup resolves the path v (a string argument) under d and stats it.
func (d *descriptor) lookup(v any) (fs.FileInfo, error) {
	p, _ := v.(string)
	name, mustDir, err := d.resolve(p)
	if err != nil {
		return nil, err
	}
	return d.stat(name, mustDir)
}

// openAt opens a path under a directory for reading. What would write
// fails as preview 1's read-only mounts fail it (rootfs.ReadOnlyOpen):
// creating a missing name is read-only (or its directory's lookup error),
// create with exclusive of an existing one exist, write or truncate of a
// directory is-directory, of a file read-only.
func openAt(s *State, d *descriptor, args []any) (any, error) {
	p, _ := args[2].(string)
	oflags, _ := args[3].(uint32)
	dflags, _ := args[4].(uint32)
	name, mustDir, err := d.resolve(p)
	if err != nil {
		return nil, err
	}
	write := dflags&flagWrite != 0 || oflags&openTruncate != 0
	create := oflags&openCreate != 0
	info, err := d.stat(name, mustDir)
	switch {
	case err != nil && create && err == fsError(fsNoEntry):
		return nil, d.creatable(name)
	case err != nil:
		return nil, err
	case create && oflags&openExclusive != 0:
		return nil, fsError(fsExist)
	case oflags&openDirectory != 0 && !info.IsDir():
		return nil, fsError(fsNotDirectory)
	case write && info.IsDir():
		return nil, fsError(fsIsDirectory)
	case write:
		return nil, fsError(fsReadOnly)
	}
	nd := &descriptor{mount: d.mount, fsys: d.fsys, path: name, dir: info.IsDir()}
	if !nd.dir {
		if s.openFiles >= MaxOpenFiles {
			return nil, fsError(fsIO)
		}
		f, err := d.fsys.Open(name)
		if err != nil {
			return nil, codeOf(err)
		}
		nd.file, nd.size = f, info.Size()
		s.openFiles++
	}
	r, err := s.add(nd)
	if err != nil {
		nd.release(s)
		return nil, err
	}
	return r, nil
}

// createDirectoryAt answers as a read-only file system does: exist for a
// name that exists (so "mkdir -p" of existing directories works), else
// read-only (or the lookup error of the directory it would go in).
func createDirectoryAt(_ *State, d *descriptor, args []any) (any, error) {
	p, _ := args[1].(string)
	name, _, err := d.resolve(p)
	if err != nil {
		return nil, err
	}
	if name == d.path {
		return nil, fsError(fsExist)
	}
	if _, err := d.stat(name, false); err == nil {
		return nil, fsError(fsExist)
	} else if err != fsError(fsNoEntry) {
		return nil, err
	}
	return nil, d.creatable(name)
}

func readFile(_ *State, d *descriptor, args []any) (any, error) {
	if d.dir {
		return nil, fsError(fsIsDirectory)
	}
	n, _ := args[1].(uint64)
	off, _ := args[2].(uint64)
	if off >= uint64(d.size) {
		return []any{[]byte{}, true}, nil
	}
	buf := make([]byte, min(n, MaxRead, uint64(d.size)-off))
	k, err := d.readAt(buf, int64(off))
	if k < len(buf) && err != nil && err != io.EOF {
		return nil, codeOf(err)
	}
	return []any{buf[:k], off+uint64(k) >= uint64(d.size)}, nil
}

func readViaStream(s *State, d *descriptor, args []any) (any, error) {
	if d.dir {
		return nil, fsError(fsIsDirectory)
	}
	off, _ := args[1].(uint64)
	if off > uint64(d.size) {
		off = uint64(d.size)
	}
	return s.add(&inputStream{r: &fileReader{d: d, off: int64(off)}})
}

func readDirectory(s *State, d *descriptor, _ []any) (any, error) {
	if !d.dir {
		return nil, fsError(fsNotDirectory)
	}
	entries, err := fs.ReadDir(d.fsys, d.path)
	if err != nil {
		return nil, codeOf(err)
	}
	return s.add(&dirEntries{entries: entries})
}

// readDirectoryEntry returns the next entry, sorted by name, without "."
// and ".." (which the WIT leaves out).
func readDirectoryEntry(_ context.Context, s *State, args []any) ([]any, error) {
	ds, err := get[*dirEntries](s, DirectoryEntryStream, args[0])
	if err != nil {
		return nil, err
	}
	if ds.next >= len(ds.entries) {
		return one(ok(none()))
	}
	e := ds.entries[ds.next]
	ds.next++
	return one(ok(some([]any{entryType(e), e.Name()})))
}
