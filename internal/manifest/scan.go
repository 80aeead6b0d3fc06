package manifest

import (
	"slices"
	"strings"

	"github.com/pelletier/go-toml/v2/unstable"
)

// index records where each key, table header and value of a manifest was
// written, so that problems found after decoding can point at their line.
// It is built by scan from go-toml's syntax tree.
type index struct {
	entries map[string]*entry     // by pathKey
	at      map[position][]string // the path of the key, header or value that starts at a position
}

// entry is one key (with its value), table header or array element.
type entry struct {
	path  []string
	key   position      // where the key or header was written (for array elements, the element)
	value position      // where the value starts; for table headers, where the key starts
	kind  unstable.Kind // the value's kind; Table or ArrayTable for headers
	raw   string        // the value's source text, for scalars
}

// pathKey is the map key of a path. Key parts may contain '.', so they are
// joined with a byte TOML keys rarely hold.
func pathKey(path []string) string { return strings.Join(path, "\x00") }

// lookup returns the entry of the path made of parts.
func (idx *index) lookup(parts ...string) (*entry, bool) {
	if idx == nil {
		return nil, false
	}
	e, ok := idx.entries[pathKey(parts)]
	return e, ok
}

// scan indexes data. It returns the syntax error, if any, with the entries
// read up to it.
func scan(data []byte) (*index, error) {
	idx := &index{entries: map[string]*entry{}, at: map[position][]string{}}
	s := scanner{idx: idx, arrayTables: map[string]int{}, lineStarts: []int{0}}
	for i, c := range data {
		if c == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	s.p.Reset(data)
	for s.p.NextExpression() {
		s.expression(s.p.Expression())
	}
	return idx, s.p.Error()
}

type scanner struct {
	p           unstable.Parser
	idx         *index
	table       []string       // path of the current [table] or [[array table]] element
	arrayTables map[string]int // elements seen so far of each [[array table]], by pathKey
	lineStarts  []int          // offset of the first byte of each line
}

func (s *scanner) expression(expr *unstable.Node) {
	switch expr.Kind {
	case unstable.Table:
		path, pos := s.key(expr)
		s.add(&entry{path: path, key: pos, value: pos, kind: unstable.Table})
		s.table = path
	case unstable.ArrayTable:
		path, pos := s.key(expr)
		k := pathKey(path)
		n := s.arrayTables[k]
		s.arrayTables[k]++
		if n == 0 {
			s.add(&entry{path: path, key: pos, value: pos, kind: unstable.ArrayTable})
		}
		s.table = join(path, indexPart(n)) // each element is a table of its own
		s.add(&entry{path: s.table, key: pos, value: pos, kind: unstable.Table})
	case unstable.KeyValue:
		s.keyValue(s.table, expr)
	}
}

// keyValue indexes a key = value line (or a key-value of an inline table)
// inside the table at prefix.
func (s *scanner) keyValue(prefix []string, kv *unstable.Node) {
	parts, keyPos := s.key(kv)
	v := kv.Value()
	s.value(join(prefix, parts...), keyPos, s.valueStart(kv, v), v)
}

// valueStart returns where the value v of the key-value kv starts. go-toml
// records no range for arrays, so for them it is found in the text: the
// first byte after the "=" that follows the key.
func (s *scanner) valueStart(kv, v *unstable.Node) position {
	if v.Raw.Length > 0 {
		return s.position(v.Raw)
	}
	data := s.p.Data()
	i := 0
	for it := kv.Key(); it.Next(); {
		r := it.Node().Raw
		i = int(r.Offset + r.Length)
	}
	for i < len(data) && data[i] != '=' {
		i++
	}
	for i++; i < len(data) && (data[i] == ' ' || data[i] == '\t'); i++ {
	}
	return s.position(unstable.Range{Offset: uint32(min(i, len(data)))})
}

// value indexes the value v of path, whose key is at keyPos.
func (s *scanner) value(path []string, keyPos, valuePos position, v *unstable.Node) {
	e := &entry{path: path, key: keyPos, value: valuePos, kind: v.Kind}
	switch v.Kind {
	case unstable.Array:
		s.add(e)
		i := 0
		for it := v.Children(); it.Next(); i++ {
			el := it.Node()
			elPos := valuePos // an array in an array has no position of its own
			if el.Raw.Length > 0 {
				elPos = s.position(el.Raw)
			}
			s.value(join(path, indexPart(i)), elPos, elPos, el)
		}
	case unstable.InlineTable:
		s.add(e)
		for it := v.Children(); it.Next(); {
			s.keyValue(path, it.Node())
		}
	default:
		e.raw = string(s.p.Raw(v.Raw))
		s.add(e)
	}
}

// add records e. A path written twice (which decoding refuses) keeps its
// first entry, so that messages can point at both.
func (s *scanner) add(e *entry) {
	if _, dup := s.idx.entries[pathKey(e.path)]; !dup {
		s.idx.entries[pathKey(e.path)] = e
	}
	for _, pos := range []position{e.key, e.value} {
		if _, taken := s.idx.at[pos]; !taken {
			s.idx.at[pos] = e.path
		}
	}
}

// key returns the (possibly dotted) key of a key-value or table header and
// where it starts.
func (s *scanner) key(n *unstable.Node) ([]string, position) {
	var parts []string
	var pos position
	for it := n.Key(); it.Next(); {
		k := it.Node()
		if parts == nil {
			pos = s.position(k.Raw)
		}
		parts = append(parts, string(k.Data))
	}
	return parts, pos
}

// position returns the line and byte column where r starts, as go-toml
// counts them. (unstable.Parser.Shape does too, but rescans the document
// for every call.)
func (s *scanner) position(r unstable.Range) position {
	offset := int(r.Offset)
	line, _ := slices.BinarySearch(s.lineStarts, offset+1) // lines starting at or before offset
	return position{line, offset - s.lineStarts[line-1] + 1}
}

// join returns a new path: path followed by parts.
func join(path []string, parts ...string) []string {
	return append(append(make([]string, 0, len(path)+len(parts)), path...), parts...)
}
