package wasmscan

import (
	"strconv"
	"unicode"
	"unicode/utf8"
)

// Subsections of the "name" custom section that wazero decodes.
const (
	namesModule    = 0
	namesFunctions = 1
	namesLocals    = 2
)

// nameSection reads the content of the "name" custom section the way
// wazero decodes it. wazero, unlike other custom sections, always decodes
// this one, allocating for each name map the number of entries it
// announces before reading them, and it does not stop at a subsection's
// declared size: it reads subsections while a byte budget, decremented by
// each declared size, is not zero. Scan follows the same budget and
// refuses the section whenever wazero would read past its end, which it
// would do only to fail, but after allocating whatever count it read.
// sectionStart is the offset of the section id, for errors.
func (s *scanner) nameSection(r *reader, sectionStart int) error {
	budget := int64(r.remaining())
	entries := 0 // names wazero decodes
	defer func() { s.sum.Names = entries }()
	for budget != 0 {
		if r.remaining() == 0 {
			if r.end == len(s.wasm) { // wazero stops at the end of the module
				return nil
			}
			return s.malformed(sectionStart, `"name" section: subsection sizes do not add up to the section size`)
		}
		start := r.pos
		id, _ := r.byte()
		size, ok := r.u32()
		if !ok {
			return s.malformed(start, `"name" section: unreadable subsection size`)
		}
		budget -= int64(r.pos - start)
		switch id {
		case namesModule:
			ok = r.name()
		case namesFunctions:
			var names int
			names, ok = nameMap(r)
			entries += names
		case namesLocals:
			var n int
			n, ok = r.count(2)
			entries += n
			for i := 0; ok && i < n; i++ {
				var names int
				_, ok = r.u32()
				if ok {
					names, ok = nameMap(r)
					entries += names
				}
			}
		default:
			ok = r.skip(int(size))
		}
		if !ok {
			return s.malformed(start, `"name" section: subsection runs past the end of the section`)
		}
		budget -= int64(size)
	}
	return s.addWork(uint64(entries) * workPerName)
}

// nameMap reads a name map, a count then index and name pairs, and
// returns the count.
func nameMap(r *reader) (int, bool) {
	n, ok := r.count(2)
	for i := 0; ok && i < n; i++ {
		_, ok = r.u32()
		ok = ok && r.name()
	}
	return n, ok
}

// functionName returns the name the "name" section gives function idx, or
// "" if there is none. It is called only to word an error and tolerates
// any input.
func functionName(wasm []byte, idx int) string {
	r := reader{b: wasm, pos: 8, end: len(wasm)}
	for r.remaining() > 0 {
		id, _ := r.byte()
		size, ok := r.u32()
		if !ok || int(size) > r.remaining() {
			return ""
		}
		sec := reader{b: wasm, pos: r.pos, end: r.pos + int(size)}
		r.pos = sec.end
		if id != sectionCustom {
			continue
		}
		n, ok := sec.u32()
		if !ok || !sec.skip(int(n)) || string(wasm[sec.pos-int(n):sec.pos]) != "name" {
			continue
		}
		for sec.remaining() > 0 {
			sub, _ := sec.byte()
			size, ok := sec.u32()
			if !ok || int(size) > sec.remaining() {
				return ""
			}
			body := reader{b: wasm, pos: sec.pos, end: sec.pos + int(size)}
			sec.pos = body.end
			if sub == namesFunctions {
				return lookupName(&body, idx)
			}
		}
		return ""
	}
	return ""
}

// lookupName finds idx in a name map and returns its name, quoted if it is
// not plain printable text and shortened if long.
func lookupName(r *reader, idx int) string {
	n, ok := r.count(2)
	for i := 0; ok && i < n; i++ {
		var got, size uint32
		got, ok = r.u32()
		if ok {
			size, ok = r.u32()
		}
		start := r.pos
		if ok = ok && r.skip(int(size)); !ok || int64(got) != int64(idx) {
			continue
		}
		name := string(r.b[start:r.pos])
		const maxLen = 120
		if len(name) > maxLen {
			cut := maxLen
			for cut > 0 && !utf8.RuneStart(name[cut]) {
				cut--
			}
			name = name[:cut] + "..."
		}
		for _, c := range name {
			if !unicode.IsPrint(c) || c == utf8.RuneError {
				return strconv.Quote(name)
			}
		}
		return name
	}
	return ""
}
