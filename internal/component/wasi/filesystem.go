package wasi

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"io"
	"io/fs"
	"strings"
	"unicode/utf8"

	"github.com/wisphq/wisp/internal/component/canon"
)

// Mount is a read-only file system the guest sees as a preopened
// directory (wasi:filesystem/preopens.get-directories): an app's bundled
// files, mounted where its wisp.toml says, as preview 1 modules get them.
type Mount struct {
	// Guest is the directory's name as the guest sees it ("/static").
	Guest string
	// FS holds the files; it must not change while a State uses it (an
	// internal/bundle FS never does). Paths the guest names are resolved
	// by this package and never leave FS (see descriptor.resolve).
	FS fs.FS
}

// MaxOpenFiles caps the regular files one State holds open at once
// (descriptors from open-at not yet dropped), as the engine caps a preview
// 1 instance's: past it, open-at fails with error-code io, which is what a
// preview 1 module gets (EIO).
const MaxOpenFiles = 256

// error-code cases (wasi:filesystem/types), by their index in the enum.
const (
	fsAccess              = 0
	fsBadFD               = 3
	fsExist               = 7
	fsIllegalByteSequence = 9
	fsInvalid             = 12
	fsIO                  = 13
	fsIsDirectory         = 14
	fsNoEntry             = 20
	fsNotDirectory        = 24
	fsNotPermitted        = 31
	fsReadOnly            = 33
)

// descriptor-type cases.
const (
	typeUnknown   = 0
	typeDirectory = 3
	typeRegular   = 6
)

// fsError is a wasi:filesystem error-code, as a Go error inside this file.
type fsError uint32

func (e fsError) Error() string { return "wasi:filesystem error-code " + errorCodeNames[e] }

var errorCodeNames = [...]string{"access", "would-block", "already", "bad-descriptor", "busy", "deadlock", "quota", "exist",
	"file-too-large", "illegal-byte-sequence", "in-progress", "interrupted", "invalid", "io",
	"is-directory", "loop", "too-many-links", "message-size", "name-too-long", "no-device",
	"no-entry", "no-lock", "insufficient-memory", "insufficient-space", "not-directory",
	"not-empty", "not-recoverable", "unsupported", "no-tty", "no-such-device", "overflow",
	"not-permitted", "pipe", "read-only", "invalid-seek", "text-file-busy", "cross-device"}

// descriptor is the object behind a wasi:filesystem descriptor: a
// directory or a regular file of one Mount, open for reading.
type descriptor struct {
	mount int    // index into State.Mounts
	fsys  fs.FS  // State.Mounts[mount].FS
	path  string // within fsys: "." for the mount's root, else "a/b"
	dir   bool
	file  fs.File // a regular file's open file; nil for a directory
	size  int64
}

// dirEntries is the object behind a directory-entry-stream.
type dirEntries struct {
	entries []fs.DirEntry
	next    int
}

func (*descriptor) resourceType() *canon.ResourceType { return Descriptor }
func (*dirEntries) resourceType() *canon.ResourceType { return DirectoryEntryStream }

// release closes a regular file's open file when its handle is dropped.
func (d *descriptor) release(s *State) {
	if d.file != nil {
		d.file.Close()
		d.file = nil
		s.openFiles--
	}
}

// resolve returns the path within d's file system that p, relative to
// directory d, names, and whether p ends in "/" (so it must name a
// directory). The rules are cap-std's, as wasmtime applies them: an
// absolute path, or a ".." that would climb above d, is not-permitted (a
// descriptor is a capability for its own subtree, never its parent's); an
// empty path is no-entry; "." and empty elements ("a//b") are skipped.
// An io/fs FS holds no symbolic links, so nothing else can lead outside.
func (d *descriptor) resolve(p string) (string, bool, error) {
	switch {
	case !d.dir:
		return "", false, fsError(fsNotDirectory)
	case p == "":
		return "", false, fsError(fsNoEntry)
	case strings.HasPrefix(p, "/"):
		return "", false, fsError(fsNotPermitted)
	case strings.IndexByte(p, 0) >= 0:
		return "", false, fsError(fsInvalid)
	case !utf8.ValidString(p): // canon lifts valid strings only; a Go caller might not
		return "", false, fsError(fsIllegalByteSequence)
	}
	var elems []string
	if d.path != "." {
		elems = strings.Split(d.path, "/")
	}
	floor := len(elems)
	for _, e := range strings.Split(p, "/") {
		switch e {
		case "", ".":
		case "..":
			if len(elems) == floor {
				return "", false, fsError(fsNotPermitted)
			}
			elems = elems[:len(elems)-1]
		default:
			elems = append(elems, e)
		}
	}
	out := strings.Join(elems, "/")
	if out == "" {
		out = "."
	}
	return out, strings.HasSuffix(p, "/"), nil
}

// stat returns what name (a resolved path) is in d's file system. A path
// through a regular file is not-directory, as on POSIX.
func (d *descriptor) stat(name string, mustDir bool) (fs.FileInfo, error) {
	info, err := fs.Stat(d.fsys, name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			for dir := name; dir != "."; {
				i := strings.LastIndexByte(dir, '/')
				if i < 0 {
					break
				}
				dir = dir[:i]
				if up, err := fs.Stat(d.fsys, dir); err == nil {
					if !up.IsDir() {
						return nil, fsError(fsNotDirectory)
					}
					break
				}
			}
		}
		return nil, codeOf(err)
	}
	if mustDir && !info.IsDir() {
		return nil, fsError(fsNotDirectory)
	}
	return info, nil
}

// codeOf maps an io/fs error to an error-code. An os.Root (wisp run's
// --dir) refusing a path that escapes it, through ".." or a symbolic
// link, is not-permitted, as cap-std answers it; os exports no sentinel
// for it, so its message is matched.
func codeOf(err error) error {
	var code fsError
	switch {
	case errors.As(err, &code):
		return code
	case strings.Contains(err.Error(), "path escapes from parent"):
		return fsError(fsNotPermitted)
	case errors.Is(err, fs.ErrNotExist):
		return fsError(fsNoEntry)
	case errors.Is(err, fs.ErrPermission):
		return fsError(fsAccess)
	case errors.Is(err, fs.ErrInvalid):
		return fsError(fsInvalid)
	case errors.Is(err, fs.ErrClosed):
		return fsError(fsBadFD)
	}
	return fsError(fsIO)
}

// creatable returns the error-code creating the missing name fails with on
// a read-only file system: its directory's lookup error when that fails
// (no-entry, not-directory), else read-only. (rootfs.ReadOnlyCreate, for
// preview 1, gives the same errnos.)
func (d *descriptor) creatable(name string) error {
	dir := "."
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		dir = name[:i]
	}
	if _, err := d.stat(dir, true); err != nil {
		return err
	}
	return fsError(fsReadOnly)
}

// readAt reads up to len(p) bytes of a regular file at off.
func (d *descriptor) readAt(p []byte, off int64) (int, error) {
	if d.file == nil {
		return 0, fsError(fsBadFD)
	}
	if ra, ok := d.file.(io.ReaderAt); ok {
		return ra.ReadAt(p, off)
	}
	if sk, ok := d.file.(io.Seeker); ok {
		if _, err := sk.Seek(off, io.SeekStart); err != nil {
			return 0, err
		}
		return io.ReadFull(d.file, p)
	}
	return 0, fsError(fsIO)
}

// fileReader reads a descriptor's file from an offset on: the reader of
// read-via-stream's input-stream.
type fileReader struct {
	d   *descriptor
	off int64
}

func (r *fileReader) Read(p []byte) (int, error) {
	if r.off >= r.d.size {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), r.d.size-r.off)]
	n, err := r.d.readAt(p, r.off)
	r.off += int64(n)
	if n > 0 {
		return n, nil
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF // the file is shorter than it was
	}
	return 0, codeOf(err)
}

// writeErr is what a write-ish call on an open descriptor fails with: the
// descriptor is open for reading only, so bad-descriptor (EBADF), or
// is-directory for a directory, as preview 1's read-only mounts answer.
func (d *descriptor) writeErr() error {
	if d.dir {
		return fsError(fsIsDirectory)
	}
	return fsError(fsBadFD)
}

// statValue is a descriptor-stat of info.
func statValue(info fs.FileInfo) []any {
	typ := uint32(typeUnknown)
	switch {
	case info.IsDir():
		typ = typeDirectory
	case info.Mode().IsRegular():
		typ = typeRegular
	}
	var size uint64
	if !info.IsDir() && info.Size() > 0 {
		size = uint64(info.Size())
	}
	mtime := none()
	if t := info.ModTime(); !t.IsZero() && t.Unix() >= 0 {
		mtime = some([]any{uint64(t.Unix()), uint32(t.Nanosecond())})
	}
	return []any{typ, uint64(1), size, mtime, mtime, mtime}
}

// entryType is the descriptor-type of a directory entry.
func entryType(e fs.DirEntry) uint32 {
	switch {
	case e.IsDir():
		return typeDirectory
	case e.Type().IsRegular():
		return typeRegular
	}
	return typeUnknown
}

// hashOf is metadata-hash's value for a path of mount m: the same object
// always hashes the same within a State, different ones differently.
func hashOf(m int, name string) []any {
	h := sha256.New()
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], uint64(m))
	h.Write(b[:])
	h.Write([]byte(name))
	sum := h.Sum(nil)
	return []any{binary.LittleEndian.Uint64(sum[:8]), binary.LittleEndian.Uint64(sum[8:16])}
}

// fsResult turns a Call's (value, error) into result<value, error-code>:
// an error-code becomes err(code); another error ends the call.
func fsResult(v any, err error) ([]any, error) {
	var code fsError
	switch {
	case err == nil:
		return one(ok(v))
	case errors.As(err, &code):
		return one(errValue(uint32(code)))
	}
	return nil, err
}

// descriptorCall runs f on the descriptor behind args[0] and answers
// result<T, error-code>.
func descriptorCall(f func(s *State, d *descriptor, args []any) (any, error)) call {
	return func(_ context.Context, s *State, args []any) ([]any, error) {
		d, err := get[*descriptor](s, Descriptor, args[0])
		if err != nil {
			return nil, err
		}
		return fsResult(f(s, d, args))
	}
}

// readOnly is a descriptor function that changes the file system: after
// resolving its path (an escaping path is not-permitted, as anywhere),
// it fails with read-only.
func readOnly(pathArg int) func(*State, *descriptor, []any) (any, error) {
	return func(_ *State, d *descriptor, args []any) (any, error) {
		if pathArg > 0 {
			p, _ := args[pathArg].(string)
			if _, _, err := d.resolve(p); err != nil {
				return nil, err
			}
		}
		return nil, fsError(fsReadOnly)
	}
}
