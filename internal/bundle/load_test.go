package bundle_test

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io/fs"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp/internal/bundle"
)

// tarEntry is an entry for makeTar.
type tarEntry struct {
	hdr  tar.Header
	body string
}

func file(name, body string) tarEntry {
	return tarEntry{tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Size: int64(len(body))}, body}
}

func dir(name string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}}
}

func special(flag byte, name, target string) tarEntry {
	return tarEntry{hdr: tar.Header{Typeflag: flag, Name: name, Linkname: target, Mode: 0o644}}
}

// makeTar writes entries as a tar archive, as any tar tool might.
func makeTar(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := e.hdr
		if hdr.Typeflag != tar.TypeXGlobalHeader {
			hdr.ModTime = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
		}
		if err := tw.WriteHeader(&hdr); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write([]byte(e.body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// setTypeflag changes the type of the first entry of a tar archive, which
// tar.Writer would refuse to write as is.
func setTypeflag(archive []byte, flag byte) []byte {
	hdr := archive[:512]
	hdr[156] = flag
	copy(hdr[148:156], "        ") // the checksum counts its own field as spaces
	sum := 0
	for _, c := range hdr {
		sum += int(c)
	}
	copy(hdr[148:156], fmt.Sprintf("%06o\x00 ", sum))
	return archive
}

const (
	testMaxBytes = 1000
	testMaxFiles = 10
)

func TestLoadRefuses(t *testing.T) {
	const unclean = `not a clean relative path like "css/site.css" (no leading "/" or "./", no ".." or "." elements, no "//" or "\")`
	many := make([]tarEntry, testMaxFiles+1)
	for i := range many {
		many[i] = file(strings.Repeat("f", i+1), "")
	}
	truncated := makeTar(t, file("a.txt", strings.Repeat("x", 600)))
	truncated = truncated[:512+300] // the header and half the contents

	for _, tc := range []struct {
		name string
		tar  []byte
		want string
	}{
		{"parent directory", makeTar(t, file("../evil.sh", "x")), `bundle: entry "../evil.sh": ` + unclean},
		{"parent inside", makeTar(t, file("css/../../evil.sh", "x")), `bundle: entry "css/../../evil.sh": ` + unclean},
		{"absolute path", makeTar(t, file("/etc/passwd", "x")), `bundle: entry "/etc/passwd": ` + unclean},
		{"dot prefix", makeTar(t, file("./index.html", "x")), `bundle: entry "./index.html": ` + unclean},
		{"dot directory", makeTar(t, dir("./")), `bundle: entry "./": ` + unclean},
		{"empty element", makeTar(t, file("css//site.css", "x")), `bundle: entry "css//site.css": ` + unclean},
		{"backslash", makeTar(t, file(`css\site.css`, "x")), `bundle: entry "css\\site.css": ` + unclean},
		{"file with trailing slash", setTypeflag(makeTar(t, dir("a/")), tar.TypeReg), `bundle: entry "a/": ` + unclean},
		{"duplicate file", makeTar(t, file("a.txt", "1"), file("a.txt", "2")), `bundle: entry "a.txt": appears twice in the archive`},
		{"duplicate directory", makeTar(t, dir("css/"), dir("css/")), `bundle: entry "css/": appears twice in the archive`},
		{"file and directory", makeTar(t, dir("css/"), file("css", "x")), `bundle: entry "css": appears twice in the archive`},
		{"file below a file", makeTar(t, file("a", "x"), file("a/b", "y")), `bundle: entry "a/b": "a" is a file, so it cannot be a directory too`},
		{"file above a file", makeTar(t, file("a/b", "y"), file("a", "x")), `bundle: entry "a": is a file, but an earlier entry is inside it`},
		{"symlink", makeTar(t, special(tar.TypeSymlink, "passwd", "/etc/passwd")), `bundle: entry "passwd": is a symbolic link; a bundle holds only regular files and directories`},
		{"hard link", makeTar(t, file("a", "x"), special(tar.TypeLink, "b", "a")), `bundle: entry "b": is a hard link; a bundle holds only regular files and directories`},
		{"character device", makeTar(t, special(tar.TypeChar, "null", "")), `bundle: entry "null": is a character device; a bundle holds only regular files and directories`},
		{"block device", makeTar(t, special(tar.TypeBlock, "sda", "")), `bundle: entry "sda": is a block device; a bundle holds only regular files and directories`},
		{"named pipe", makeTar(t, special(tar.TypeFifo, "fifo", "")), `bundle: entry "fifo": is a named pipe; a bundle holds only regular files and directories`},
		{"file too large", makeTar(t, file("big", strings.Repeat("x", testMaxBytes+1))), `bundle: entry "big": the files total more than 1000 bytes, the limit: pack fewer or smaller files`},
		{"files too large together", makeTar(t, file("a", strings.Repeat("x", 600)), file("b", strings.Repeat("x", 600))), `bundle: entry "b": the files total more than 1000 bytes, the limit: pack fewer or smaller files`},
		{"too many entries", makeTar(t, many...), `bundle: more than 10 files and directories, the limit: pack fewer files`},
		{"truncated", truncated, `bundle: entry "a.txt": archive is truncated: unexpected EOF`},
		{"not a tar", bytes.Repeat([]byte("not a tar archive\n"), 100), `bundle: not a valid tar archive: archive/tar: invalid tar header`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fsys, err := bundle.Load(bytes.NewReader(tc.tar), testMaxBytes, testMaxFiles)
			if err == nil {
				t.Fatalf("Load succeeded (%+v); want an error", fsys.Stats())
			}
			if err.Error() != tc.want {
				t.Errorf("wrong error\n got: %v\nwant: %s", err, tc.want)
			}
		})
	}
}

func TestLoadLimitsMustBePositive(t *testing.T) {
	data := makeTar(t, file("a", "x"))
	for _, limits := range [][2]int{{0, 1}, {1, 0}, {-1, 1}} {
		if _, err := bundle.Load(bytes.NewReader(data), int64(limits[0]), limits[1]); err == nil {
			t.Errorf("Load with limits %v succeeded; want an error", limits)
		}
	}
}

func TestLoadAtLimits(t *testing.T) {
	entries := []tarEntry{file("a", strings.Repeat("x", testMaxBytes))}
	for i := 1; i < testMaxFiles; i++ {
		entries = append(entries, dir(strings.Repeat("d", i)+"/"))
	}
	fsys, err := bundle.Load(bytes.NewReader(makeTar(t, entries...)), testMaxBytes, testMaxFiles)
	if err != nil {
		t.Fatalf("a bundle exactly at both limits was refused: %v", err)
	}
	if want := (bundle.Stats{Files: 1, Dirs: testMaxFiles - 1, Bytes: testMaxBytes}); fsys.Stats() != want {
		t.Errorf("Stats() = %+v, want %+v", fsys.Stats(), want)
	}
}

// TestLoadOtherTars checks archives other tools write: without directory
// entries, in any order, with a PAX global header (git archive) and
// GNU-format long names.
func TestLoadOtherTars(t *testing.T) {
	long := strings.Repeat("long-name-", 20) + ".txt"
	data := makeTar(t,
		tarEntry{hdr: tar.Header{Typeflag: tar.TypeXGlobalHeader, PAXRecords: map[string]string{"comment": "0123abcd"}}},
		file("z/y/x.txt", "deep"),
		tarEntry{tar.Header{Typeflag: tar.TypeReg, Name: "a/" + long, Size: 4, Format: tar.FormatGNU}, "long"},
		dir("z/"), // after a file inside it
		file("b.txt", "bee"),
	)
	fsys, err := bundle.Load(bytes.NewReader(data), testMaxBytes, testMaxFiles)
	if err != nil {
		t.Fatal(err)
	}
	for name, want := range map[string]string{"z/y/x.txt": "deep", "a/" + long: "long", "b.txt": "bee"} {
		if got, err := fsys.ReadFile(name); err != nil || string(got) != want {
			t.Errorf("ReadFile(%q) = %q, %v; want %q", name, got, err, want)
		}
	}
	entries, err := fsys.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if got := strings.Join(names, " "); got != "a b.txt z" {
		t.Errorf("root entries = %s, want a b.txt z (sorted)", got)
	}
	if info, err := fsys.Stat("z/y"); err != nil || !info.IsDir() || info.Mode() != fs.ModeDir|0o555 {
		t.Errorf("Stat(z/y) = %v, %v; want an implied directory with mode dr-xr-xr-x", info, err)
	}
	if want := (bundle.Stats{Files: 3, Dirs: 3, Bytes: 11}); fsys.Stats() != want {
		t.Errorf("Stats() = %+v, want %+v", fsys.Stats(), want)
	}
}

// FuzzLoad checks that Load never panics or exceeds its limits, and that
// what it accepts is a consistent file system.
func FuzzLoad(f *testing.F) {
	f.Add(pack(f, "testdata/tree"))
	f.Add(makeTar(f, file("a", "x"), dir("b/"), file("b/c", "yy")))
	f.Add(makeTar(f, file("../evil", "x")))
	f.Add(makeTar(f, special(tar.TypeSymlink, "l", "/etc")))
	f.Add(makeTar(f, file("a", "1"), file("a", "2")))
	f.Add(makeTar(f, file("a/b", "1"), file("a", "2")))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, data []byte) {
		fsys, err := bundle.Load(bytes.NewReader(data), 1<<16, 64)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "bundle: ") {
				t.Fatalf("error without context: %v", err)
			}
			return
		}
		var got bundle.Stats
		err = fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				if name != "." {
					got.Dirs++
				}
				return nil
			}
			data, err := fsys.ReadFile(name)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			if int64(len(data)) != info.Size() {
				t.Errorf("%s: read %d bytes, Stat says %d", name, len(data), info.Size())
			}
			got.Files++
			got.Bytes += int64(len(data))
			return nil
		})
		if err != nil {
			t.Fatalf("walking a loaded bundle: %v", err)
		}
		if got != fsys.Stats() {
			t.Fatalf("walk found %+v, Stats() says %+v", got, fsys.Stats())
		}
		if got.Bytes > 1<<16 || got.Files+got.Dirs > 64 {
			t.Fatalf("Load exceeded its limits: %+v", got)
		}
	})
}
