// Package bundle turns a directory of static files into one
// content-addressed blob and back.
//
// A bundle is a plain tar archive holding only regular files and
// directories under clean relative paths. [Pack] writes one
// deterministically: the same tree always gives the same bytes (and so the
// same digest), whatever its files' times, owners and permissions. [Load]
// reads one, from [Pack] or any other tar tool, validating it strictly,
// into an immutable in-memory [FS] that many guest instances can share
// read-only.
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
// dir may be a symbolic link to a directory, but Pack refuses symbolic
// links (and devices, sockets and pipes) inside it, naming the first one:
// a bundle holds only regular files and directories. If the files hold
// more than maxBytes bytes in total, Pack writes nothing and fails;
// maxBytes <= 0 means no limit. If a file changes size while being
// packed, Pack fails having written part of the archive.
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
	entries, stats, err := collect(root, dir)
	if err != nil {
		return Stats{}, err
	}
	if maxBytes > 0 && stats.Bytes > maxBytes {
		return Stats{}, fmt.Errorf("bundle: the files in %s total %d bytes, more than the limit of %d: remove large files or raise the limit", dir, stats.Bytes, maxBytes)
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		if err := writeEntry(tw, root, e); err != nil {
			return Stats{}, fmt.Errorf("bundle: %s: %w", filepath.Join(dir, filepath.FromSlash(e.name)), err)
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

// collect lists the tree at root, sorted by name. dir is root as the
// caller wrote it, for messages.
func collect(root, dir string) ([]packEntry, Stats, error) {
	var entries []packEntry
	var stats Stats
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." {
			return nil
		}
		shown := filepath.Join(dir, rel)
		name := filepath.ToSlash(rel)
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
				return err
			}
			entries = append(entries, packEntry{name: name, size: info.Size()})
			stats.Files++
			stats.Bytes += info.Size()
		case t&fs.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; a bundle holds only regular files and directories: replace it with a copy of what it points to", shown)
		default:
			return fmt.Errorf("%s is not a regular file or directory (it is a %s); a bundle holds only regular files and directories: move it out of %s", shown, describeMode(t), dir)
		}
		return nil
	})
	if err != nil {
		return nil, Stats{}, fmt.Errorf("bundle: %w", err)
	}
	slices.SortFunc(entries, func(a, b packEntry) int { return strings.Compare(a.name, b.name) })
	return entries, stats, nil
}

func writeEntry(tw *tar.Writer, root string, e packEntry) error {
	hdr := &tar.Header{Name: e.name, ModTime: epoch}
	if e.dir {
		hdr.Typeflag, hdr.Name, hdr.Mode = tar.TypeDir, e.name+"/", dirMode
		return tw.WriteHeader(hdr)
	}
	hdr.Typeflag, hdr.Mode, hdr.Size = tar.TypeReg, fileMode, e.size
	f, err := os.Open(filepath.Join(root, filepath.FromSlash(e.name)))
	if err != nil {
		return err
	}
	defer f.Close()
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

func describeMode(t fs.FileMode) string {
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
