package bundle_test

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"slices"
	"sync"
	"testing"
	"testing/fstest"

	experimentalsys "github.com/tetratelabs/wazero/experimental/sys"
	"github.com/tetratelabs/wazero/experimental/sysfs"

	"github.com/wisphq/wisp/internal/bundle"
)

func loadTree(t testing.TB) *bundle.FS {
	t.Helper()
	fsys, err := bundle.Load(bytes.NewReader(pack(t, "testdata/tree")), 1<<20, 100)
	if err != nil {
		t.Fatal(err)
	}
	return fsys
}

func TestFSConformance(t *testing.T) {
	if err := fstest.TestFS(loadTree(t), treeFiles...); err != nil {
		t.Fatal(err)
	}
}

func TestFileSeekAndReadAt(t *testing.T) {
	const content = "body { font-family: sans-serif; }\n"
	f, err := loadTree(t).Open("css/site.css")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	file := f.(interface {
		fs.File
		io.Seeker
		io.ReaderAt
	})
	steps := []struct {
		name   string
		offset int64
		whence int
		want   int64 // the new offset
		read   string
	}{
		{"start", 5, io.SeekStart, 5, content[5:11]},
		{"current", 2, io.SeekCurrent, 13, content[13:22]},
		{"end", -10, io.SeekEnd, int64(len(content)) - 10, content[len(content)-10:]},
		{"past the end", 100, io.SeekEnd, int64(len(content)) + 100, ""},
	}
	for _, s := range steps {
		got, err := file.Seek(s.offset, s.whence)
		if err != nil || got != s.want {
			t.Fatalf("%s: Seek(%d, %d) = %d, %v; want %d", s.name, s.offset, s.whence, got, err, s.want)
		}
		buf := make([]byte, len(s.read))
		n, err := io.ReadFull(file, buf)
		if s.read == "" {
			if n, err := file.Read(make([]byte, 1)); n != 0 || err != io.EOF {
				t.Errorf("%s: Read = %d, %v; want 0, io.EOF", s.name, n, err)
			}
			continue
		}
		if err != nil || string(buf[:n]) != s.read {
			t.Errorf("%s: read %q, %v; want %q", s.name, buf[:n], err, s.read)
		}
	}
	if _, err := file.Seek(-1, io.SeekStart); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Seek to a negative offset: %v, want fs.ErrInvalid", err)
	}
	if _, err := file.Seek(0, 42); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("Seek with a bad whence: %v, want fs.ErrInvalid", err)
	}

	// ReadAt neither uses nor moves the offset Read and Seek share.
	if _, err := file.Seek(3, io.SeekStart); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4)
	if n, err := file.ReadAt(buf, 7); n != 4 || err != nil || string(buf) != "font" {
		t.Errorf("ReadAt(4 bytes, 7) = %d, %v, %q; want 4, nil, \"font\"", n, err, buf)
	}
	if n, err := file.ReadAt(buf, int64(len(content))-2); n != 2 || err != io.EOF || string(buf[:n]) != "}\n" {
		t.Errorf("ReadAt across the end = %d, %v, %q; want 2, io.EOF, \"}\\n\"", n, err, buf[:n])
	}
	if n, err := file.ReadAt(buf, int64(len(content))); n != 0 || err != io.EOF {
		t.Errorf("ReadAt at the end = %d, %v; want 0, io.EOF", n, err)
	}
	if _, err := file.ReadAt(buf, -1); !errors.Is(err, fs.ErrInvalid) {
		t.Errorf("ReadAt at a negative offset: %v, want fs.ErrInvalid", err)
	}
	if n, err := file.Read(buf); n != 4 || string(buf) != "y { " || err != nil {
		t.Errorf("Read after ReadAt = %d, %v, %q; want 4 bytes from offset 3", n, err, buf)
	}
}

func TestOpenFilesAreIndependent(t *testing.T) {
	fsys := loadTree(t)
	a, err := fsys.Open("index.html")
	if err != nil {
		t.Fatal(err)
	}
	b, err := fsys.Open("index.html")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.ReadAll(a); err != nil {
		t.Fatal(err)
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Read(make([]byte, 1)); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("Read after Close: %v, want fs.ErrClosed", err)
	}
	if err := a.Close(); !errors.Is(err, fs.ErrClosed) {
		t.Errorf("second Close: %v, want fs.ErrClosed", err)
	}
	got, err := io.ReadAll(b)
	if err != nil || !bytes.HasPrefix(got, []byte("<!doctype html>")) {
		t.Errorf("the second file read %q, %v after the first was read and closed; want the whole file", got, err)
	}
}

func TestReadDirFile(t *testing.T) {
	f, err := loadTree(t).Open(".")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dir, ok := f.(fs.ReadDirFile)
	if !ok {
		t.Fatalf("Open(\".\") returned a %T, not an fs.ReadDirFile", f)
	}
	all := []string{"css", "css-print.css", "docs", "empty.txt", "img", "index.html"}
	for _, step := range []struct {
		n    int
		want []string
		err  error
	}{
		{2, all[:2], nil},
		{3, all[2:5], nil},
		{3, all[5:], nil}, // fewer than asked for
		{1, nil, io.EOF},  // none left
		{0, nil, nil},     // n <= 0 at the end: nothing, and no error
	} {
		entries, err := dir.ReadDir(step.n)
		var names []string
		for _, e := range entries {
			names = append(names, e.Name())
		}
		if !slices.Equal(names, step.want) || err != step.err {
			t.Errorf("ReadDir(%d) = %q, %v; want %q, %v", step.n, names, err, step.want, step.err)
		}
	}
	if _, err := dir.Read(make([]byte, 1)); err == nil {
		t.Error("Read on a directory succeeded")
	}
}

func TestFSErrors(t *testing.T) {
	fsys := loadTree(t)
	for _, tc := range []struct {
		name string
		call func() error
		want error
	}{
		{"open missing", func() error { _, err := fsys.Open("nope.txt"); return err }, fs.ErrNotExist},
		{"open invalid", func() error { _, err := fsys.Open("/index.html"); return err }, fs.ErrInvalid},
		{"open dot-dot", func() error { _, err := fsys.Open("css/../index.html"); return err }, fs.ErrInvalid},
		{"stat missing", func() error { _, err := fsys.Stat("css/nope.css"); return err }, fs.ErrNotExist},
		{"read file missing", func() error { _, err := fsys.ReadFile("nope"); return err }, fs.ErrNotExist},
		{"read dir missing", func() error { _, err := fsys.ReadDir("nope"); return err }, fs.ErrNotExist},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			var pathErr *fs.PathError
			if !errors.Is(err, tc.want) || !errors.As(err, &pathErr) {
				t.Errorf("error %v; want an *fs.PathError wrapping %v", err, tc.want)
			}
		})
	}
	if _, err := fsys.ReadFile("css"); err == nil {
		t.Error("ReadFile on a directory succeeded")
	}
	if _, err := fsys.ReadDir("index.html"); err == nil {
		t.Error("ReadDir on a file succeeded")
	}
}

// TestFSIsImmutable checks that callers cannot change the shared contents
// through the slices they are given.
func TestFSIsImmutable(t *testing.T) {
	fsys := loadTree(t)
	data, err := fsys.ReadFile("index.html")
	if err != nil {
		t.Fatal(err)
	}
	data[0] = 'X'
	entries, err := fsys.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	entries[0] = nil
	if again, _ := fsys.ReadFile("index.html"); again[0] != '<' {
		t.Error("changing the slice ReadFile returned changed the file")
	}
	if again, _ := fsys.ReadDir("."); again[0] == nil {
		t.Error("changing the slice ReadDir returned changed the directory")
	}
}

// TestConcurrentReaders reads every file from many goroutines at once, as
// concurrent guest instances do; run with -race.
func TestConcurrentReaders(t *testing.T) {
	fsys := loadTree(t)
	want := map[string][]byte{}
	for _, name := range treeFiles {
		data, err := fsys.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		want[name] = data
	}
	var wg sync.WaitGroup
	errs := make(chan error, 8*len(treeFiles))
	for range 8 {
		for _, name := range treeFiles {
			wg.Go(func() {
				f, err := fsys.Open(name)
				if err != nil {
					errs <- err
					return
				}
				defer f.Close()
				got, err := io.ReadAll(f)
				if err != nil || !bytes.Equal(got, want[name]) {
					errs <- errors.New(name + ": concurrent read returned different contents")
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestWazeroAdapter opens the bundle through sysfs.AdaptFS, the adapter
// wazero.FSConfig.WithFSMount wraps an fs.FS in, and exercises the calls
// behind the guest's fd_pread, fd_seek, fd_read, fd_readdir and
// fd_filestat_get.
func TestWazeroAdapter(t *testing.T) {
	adapted := &sysfs.AdaptFS{FS: loadTree(t)}

	f, errno := adapted.OpenFile("css/site.css", experimentalsys.O_RDONLY, 0)
	if errno != 0 {
		t.Fatalf("OpenFile: %v", errno)
	}
	defer f.Close()
	buf := make([]byte, 4)
	if n, errno := f.Pread(buf, 7); errno != 0 || string(buf[:n]) != "font" {
		t.Errorf("Pread(4 bytes, 7) = %q, %v; want \"font\"", buf[:n], errno)
	}
	if off, errno := f.Seek(5, io.SeekStart); errno != 0 || off != 5 {
		t.Errorf("Seek(5) = %d, %v", off, errno)
	}
	if n, errno := f.Read(buf); errno != 0 || string(buf[:n]) != "{ fo" {
		t.Errorf("Read after Seek = %q, %v; want \"{ fo\"", buf[:n], errno)
	}
	if st, errno := f.Stat(); errno != 0 || st.Size != 34 || st.Mode != 0o444 {
		t.Errorf("Stat = %+v, %v; want size 34, mode 0444", st, errno)
	}

	d, errno := adapted.OpenFile("docs/guide", experimentalsys.O_RDONLY|experimentalsys.O_DIRECTORY, 0)
	if errno != 0 {
		t.Fatalf("OpenFile(dir): %v", errno)
	}
	defer d.Close()
	dirents, errno := d.Readdir(-1)
	if errno != 0 || len(dirents) != 1 || dirents[0].Name != "chapter-1" || !dirents[0].IsDir() {
		t.Errorf("Readdir = %+v, %v; want one directory, chapter-1", dirents, errno)
	}
	if _, errno := adapted.OpenFile("nope", experimentalsys.O_RDONLY, 0); errno != experimentalsys.ENOENT {
		t.Errorf("OpenFile(missing) = %v, want ENOENT", errno)
	}
}
