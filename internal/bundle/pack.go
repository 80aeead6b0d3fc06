// Package bundle turns a directory of static files into one
// content-addressed blob and back.
//
// A bundle is a plain tar archive holding only regular files and
// directories under clean relative paths. [Pack] (or [PackFS], from an
// [fs.FS]) writes one deterministically: the same tree always gives the
// same bytes (and so the same digest), whatever its files' times, owners
// and permissions. [Load] reads one, from [Pack] or any other tar tool,
// validating it strictly, into an immutable in-memory [FS] that many guest
// instances can share read-only.
package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// Stats summarizes a bundle.
type Stats struct {
	Files int   // regular files
	Dirs  int   // directories, not counting the root
	Bytes int64 // total size of the files' contents
}

// Modes and time that Pack writes for every entry, whatever the host's.
const (
	fileMode = 0o444
	dirMode  = 0o555
)

var epoch = time.Unix(0, 0)

// Pack writes a bundle of the directory tree at dir to w: a tar archive of
// every file and directory below dir (dir itself is the archive's root and
// has no entry), sorted by path, with relative '/'-separated names, modes
// 0444 for files and 0555 for directories, and zero times, owners and
// groups. The output depends only on the tree's names and contents.
//
// dir may be a symbolic link to a directory; the rest is [PackFS]'s, of
// the directory it resolves to.
func Pack(w io.Writer, dir string, maxBytes int64) (Stats, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return Stats{}, fmt.Errorf("bundle: %w", err)
	}
	if info, err := os.Stat(root); err != nil {
		return Stats{}, fmt.Errorf("bundle: %w", err)
	} else if !info.IsDir() {
		return Stats{}, fmt.Errorf("bundle: %s is not a directory: give the directory whose files the guest should see", dir)
	}
	return PackFS(w, os.DirFS(root), dir, maxBytes)
}

// PackFS writes a bundle of fsys to w, as [Pack] does of a directory: the
// same tree gives the same bytes from either. dir is where fsys comes
// from, for messages only. Given the FS of an [os.Root], nothing outside
// the root is read, even if the tree changes while it is packed.
//
// PackFS refuses symbolic links (and devices, sockets and pipes) in fsys,
// naming the first one: a bundle holds only regular files and
// directories. If the files hold more than maxBytes bytes in total, PackFS
// writes nothing and fails; maxBytes <= 0 means no limit. If a file
// changes size, or into something other than a regular file, while being
// packed, PackFS fails having written part of the archive.
func PackFS(w io.Writer, fsys fs.FS, dir string, maxBytes int64) (Stats, error) {
	entries, stats, err := collect(fsys, dir)
	if err != nil {
		return Stats{}, err
	}
	if maxBytes > 0 && stats.Bytes > maxBytes {
		return Stats{}, fmt.Errorf("bundle: the files in %s total %d bytes, more than the limit of %d: remove large files or raise the limit", dir, stats.Bytes, maxBytes)
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if err := writeEntry(tw, fsys, e); err != nil {
			return Stats{}, fmt.Errorf("bundle: %s: %w", shownPath(dir, e.name), err)
		}
	}
	if err := tw.Close(); err != nil {
		return Stats{}, fmt.Errorf("bundle: %w", err)
	}
	return stats, nil
}

// packEntry is a file or directory to pack.
type packEntry struct {
	name string // relative, '/'-separated: the tar entry's name without a directory's trailing '/'
	dir  bool
	size int64
}

// shownPath is name, an fs.FS path in the tree from dir, as a path for
// messages.
func shownPath(dir, name string) string { return filepath.Join(dir, filepath.FromSlash(name)) }

// collect lists the tree of fsys, sorted by name. dir is where fsys comes
// from, for messages.
func collect(fsys fs.FS, dir string) ([]packEntry, Stats, error) {
	var entries []packEntry
	var stats Stats
	err := fs.WalkDir(fsys, ".", func(name string, d fs.DirEntry, err error) error {
		shown := shownPath(dir, name)
		if err != nil {
			// fsys's errors name paths relative to it: name the file as
			// the caller knows it.
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return &fs.PathError{Op: pe.Op, Path: shown, Err: pe.Err}
			}
			return fmt.Errorf("%s: %w", shown, err)
		}
		if name == "." {
			return nil
		}
		if err := checkName(name); err != nil {
			return fmt.Errorf("%s: %w", shown, err)
		}
		switch t := d.Type(); {
		case t.IsDir():
			entries = append(entries, packEntry{name: name, dir: true})
			stats.Dirs++
		case t.IsRegular():
			info, err := d.Info()
			if err != nil {
				return fmt.Errorf("%s: %w", shown, err)
			}
			entries = append(entries, packEntry{name: name, size: info.Size()})
			stats.Files++
			stats.Bytes += info.Size()
		case t&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; a bundle holds only regular files and directories: replace it with a copy of what it points to", shown)
		default:
			return fmt.Errorf("%s is not a regular file or directory (it is a %s); a bundle holds only regular files and directories: move it out of %s", shown, DescribeMode(t), dir)
		}
		return nil
	})
	if err != nil {
		return nil, Stats{}, fmt.Errorf("bundle: %w", err)
	}
	slices.SortFunc(entries, func(a, b packEntry) int { return strings.Compare(a.name, b.name) })
	return entries, stats, nil
}

// writeEntry writes e, read from fsys, to tw. A file must still be a
// regular file of the size collect saw.
func writeEntry(tw *tar.Writer, fsys fs.FS, e packEntry) error {
	hdr := &tar.Header{Name: e.name, ModTime: epoch}
	if e.dir {
		hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, e.name+"/", dirMode
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, fileMode, e.size
	f, err := fsys.Open(e.name)
	if err != nil {
		return err
	}
	defer f.Close()
	if info, err := f.Stat(); err != nil {
		return err
	} else if !info.Mode().IsRegular() {
		return errors.New("changed into something other than a regular file while being packed: pack again")
	}
	if err := tw.WriteHeader(hdr); err != nil {
		return err
	}
	n, err := io.Copy(tw, io.LimitReader(f, e.size))
	if err != nil {
		return err
	}
	if extra, _ := f.Read(make([]byte, 1)); n != e.size || extra > 0 {
		return errors.New("file changed size while being packed: pack again")
	}
	return nil
}

// DescribeMode names the type of a file that is neither regular nor a
// directory (t is its mode, or just the type bits), for messages: "named
// pipe", "socket", "character device", "device" or "special file".
func DescribeMode(t fs.FileMode) string {
	switch {
	case t&fs.ModeNamedPipe != 0:
		return "named pipe"
	case t&fs.ModeSocket != 0:
		return "socket"
	case t&fs.ModeCharDevice != 0:
		return "character device"
	case t&fs.ModeDevice != 0:
		return "device"
	default:
		return "special file"
	}
}
