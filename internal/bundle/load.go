package bundle

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Load reads a bundle: a tar archive from [Pack] or any other tar tool. It
// is validated strictly, since bundles are uploaded by users:
//
//   - entries are regular files and directories only;
//   - names are clean relative '/'-separated paths ("css/site.css"; a
//     directory's may end in '/'), without "..", "." or a leading '/';
//   - no name appears twice, and no file is below another file;
//   - the archive holds at most maxFiles files and directories (counting
//     those it implies) and maxBytes bytes of file contents. Both limits
//     must be positive.
//
// Directories a file is in need no entries of their own, and PAX global
// headers (like the one "git archive" writes) are skipped. Modes, times and
// owners in the archive are ignored: every file reads as mode 0444 and
// every directory as 0555, with a zero modification time.
//
// Load reads r to the end of the archive, holding every file in memory.
func Load(r io.Reader, maxBytes int64, maxFiles int) (*FS, error) {
	if maxBytes <= 0 || maxFiles <= 0 {
		return nil, fmt.Errorf("bundle: load limits must be positive (got %d bytes, %d files)", maxBytes, maxFiles)
	}
	b := newBuilder(maxBytes, maxFiles)
	tr := tar.NewReader(r)
	for entries := 1; ; entries++ {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("bundle: not a valid tar archive: %w", err)
		}
		if entries > maxFiles {
			return nil, fmt.Errorf("bundle: %w", tooManyFiles(maxFiles))
		}
		if err := b.add(tr, hdr); err != nil {
			return nil, fmt.Errorf("bundle: entry %q: %w", hdr.Name, err)
		}
	}
	return b.finish(), nil
}

// checkName reports whether name is a valid bundle path: clean, relative,
// '/'-separated and not the root.
func checkName(name string) error {
	if !fs.ValidPath(name) || name == "." || strings.ContainsRune(name, '\\') {
		return errors.New(`not a clean relative path like "css/site.css" (no leading "/" or "./", no ".." or "." elements, no "//" or "\")`)
	}
	return nil
}

// builder assembles an FS from archive entries.
type builder struct {
	maxBytes int64
	maxFiles int
	nodes    map[string]*node // by path; "." is the root
	listed   map[string]bool  // paths that had an entry of their own
	stats    Stats
}

func newBuilder(maxBytes int64, maxFiles int) *builder {
	root := &node{name: ".", dir: true}
	return &builder{maxBytes: maxBytes, maxFiles: maxFiles, nodes: map[string]*node{".": root}, listed: map[string]bool{}}
}

func (b *builder) add(tr *tar.Reader, hdr *tar.Header) error {
	if hdr.Typeflag == tar.TypeXGlobalHeader {
		return nil // archive-wide metadata, such as the commit "git archive" records
	}
	name := hdr.Name
	if hdr.Typeflag == tar.TypeDir {
		name = strings.TrimSuffix(name, "/")
	}
	if err := checkName(name); err != nil {
		return err
	}
	if b.listed[name] {
		return errors.New("appears twice in the archive")
	}
	b.listed[name] = true
	switch hdr.Typeflag {
	case tar.TypeDir:
		_, err := b.dir(name)
		return err
	case tar.TypeReg:
		if hdr.Size < 0 || hdr.Size > b.maxBytes-b.stats.Bytes {
			return fmt.Errorf("the files total more than %d bytes, the limit: pack fewer or smaller files", b.maxBytes)
		}
		data := make([]byte, hdr.Size)
		if _, err := io.ReadFull(tr, data); err != nil {
			return fmt.Errorf("archive is truncated: %w", err)
		}
		return b.file(name, data)
	default:
		return fmt.Errorf("is a %s; a bundle holds only regular files and directories", typeName(hdr.Typeflag))
	}
}

// dir returns the directory node at name, creating it and the directories
// above it if needed. Directories created count towards maxFiles whether
// or not the archive lists them.
func (b *builder) dir(name string) (*node, error) {
	n := b.nodes["."]
	if name == "." {
		return n, nil
	}
	for i := 0; i <= len(name); i++ {
		if i < len(name) && name[i] != '/' {
			continue
		}
		p := name[:i]
		next, ok := b.nodes[p]
		if !ok {
			next = &node{name: path.Base(p), dir: true}
			if err := b.insert(p, n, next); err != nil {
				return nil, err
			}
		} else if !next.dir {
			return nil, fmt.Errorf("%q is a file, so it cannot be a directory too", p)
		}
		n = next
	}
	return n, nil
}

func (b *builder) file(name string, data []byte) error {
	if _, ok := b.nodes[name]; ok {
		return errors.New("is a file, but an earlier entry is inside it")
	}
	parent, err := b.dir(path.Dir(name))
	if err != nil {
		return err
	}
	if err := b.insert(name, parent, &node{name: path.Base(name), data: data}); err != nil {
		return err
	}
	b.stats.Files++
	b.stats.Bytes += int64(len(data))
	return nil
}

// insert adds n at name, inside parent.
func (b *builder) insert(name string, parent, n *node) error {
	if len(b.nodes) > b.maxFiles { // the root does not count
		return tooManyFiles(b.maxFiles)
	}
	b.nodes[name] = n
	parent.children = append(parent.children, n)
	return nil
}

func tooManyFiles(limit int) error {
	return fmt.Errorf("more than %d files and directories, the limit: pack fewer files", limit)
}

// finish sorts every directory's entries and returns the FS.
func (b *builder) finish() *FS {
	root := b.nodes["."]
	for _, n := range b.nodes {
		if !n.dir {
			continue
		}
		if n != root {
			b.stats.Dirs++
		}
		slices.SortFunc(n.children, func(x, y *node) int { return strings.Compare(x.name, y.name) })
		n.entries = make([]fs.DirEntry, len(n.children))
		for i, c := range n.children {
			n.entries[i] = c
		}
		n.children = nil
	}
	return &FS{nodes: b.nodes, stats: b.stats}
}

func typeName(flag byte) string {
	switch flag {
	case tar.TypeSymlink:
		return "symbolic link"
	case tar.TypeLink:
		return "hard link"
	case tar.TypeChar:
		return "character device"
	case tar.TypeBlock:
		return "block device"
	case tar.TypeFifo:
		return "named pipe"
	case tar.TypeGNUSparse:
		return "sparse file"
	default:
		return fmt.Sprintf("tar entry of type %q", flag)
	}
}
