package binary

// Lookup returns the definition behind index i of sort s: its section and
// its position among the section's items (Def.Item). ok is false when i
// is out of bounds. The section's ID says what defined the entry: a
// definition of the sort itself (a type section for a type), an alias, an
// import, an export, or a canon section (lift for a func, the others for
// a core func).
func (c *Component) Lookup(s Sort, i uint32) (sec *Section, item int, ok bool) {
	if s >= NumSorts || int64(i) >= int64(len(c.Spaces[s])) {
		return nil, 0, false
	}
	d := c.Spaces[s][i]
	return &c.Sections[d.Section], d.Item, true
}

// Imports returns the component's imports, in the order of the binary.
func (c *Component) Imports() []Import {
	var out []Import
	for _, s := range c.Sections {
		out = append(out, s.Imports...)
	}
	return out
}

// Exports returns the component's exports, in the order of the binary.
func (c *Component) Exports() []Export {
	var out []Export
	for _, s := range c.Sections {
		out = append(out, s.Exports...)
	}
	return out
}
