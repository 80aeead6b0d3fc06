package binary

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// nestComponents wraps an empty component n times in component sections.
func nestComponents(n int) []byte {
	c := comp()
	for i := 0; i < n; i++ {
		c = comp(sec(4, c))
	}
	return c
}

// nestTypes is a type section with one instance type nesting n instance
// types (each declares the next as a type).
func nestTypes(n int) []byte {
	t := instType()
	for i := 1; i < n; i++ {
		t = instType(cat(b(0x01), t))
	}
	return comp(sec(7, vecOf(t)))
}

// primTypes is a type section of n bool types.
func primTypes(n int) []byte {
	return sec(7, uleb(uint64(n)), bytes.Repeat(b(0x7f), n))
}

// flagsN is a flags type with n labels.
func flagsN(n int) []byte {
	labels := make([][]byte, n)
	for i := range labels {
		labels[i] = str("f" + string(rune('a'+i%26)) + string(rune('a'+i/26)))
	}
	return cat(b(0x6e), vecOf(labels...))
}

func TestMalformed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		wasm    []byte
		section string // the error's Section
		want    string // a substring of the error's Msg
	}{
		{"empty", nil, "preamble", "too few for a component preamble"},
		{"bad magic", []byte("\x00wasm\x0d\x00\x01\x00"), "preamble", "no WebAssembly magic"},
		{"core module", coreModule, "preamble", "core module, not a component"},
		{"old version", []byte{0, 'a', 's', 'm', 0x0c, 0, 1, 0}, "preamble", "not a component of version 0x0d"},
		{"unknown section id", comp(sec(13)), "section 13", "unknown section id 13"},
		{"section past the end", comp(b(7, 10, 0)), "section header", "claims 10 bytes but only 1 remain"},
		{"section with bytes left over", comp(sec(7, vecOf(b(0x7f)), b(0x00))), "type section", "1 bytes left over"},
		{"section size LEB too long", comp(b(7, 0x80, 0x80, 0x80, 0x80, 0x80, 0x00)), "section header", "not a valid u32 LEB128"},
		{"count that lies", comp(sec(7, uleb(1000), b(0x7f))), "type section", "cannot fit in the 1 bytes left"},
		{"count over the limit", comp(sec(7, uleb(0xffffffff))), "type section", "over the limit of 50000"},
		{"lying field count", comp(sec(7, vecOf(cat(b(0x72), uleb(5000), str("a"), b(0x7f))))), "type section", "record count 5000 cannot fit"},
		{"lying name length", comp(sec(10, vecOf(cat(b(0x00), uleb(60000), []byte("abc"))))), "import section", "claims 60000 bytes but only 3 remain"},
		{"huge type section", comp(sec(7, uleb(MaxVecLen+1), make([]byte, MaxVecLen+1))), "type section", "type count 50001 is over the limit of 50000"},
		{"definitions over the budget", comp(primTypes(MaxVecLen), primTypes(MaxVecLen), primTypes(MaxVecLen)), "type section", "budget of 100000 definitions"},
		{"func type as a value type", comp(sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00), b(0x70, 0x00)))), "type section", "refers to type 0, a function type, where a value type is required"},
		{"own of a record", comp(sec(7, vecOf(b(0x72, 0x01, 0x01, 'a', 0x7f), b(0x69, 0x00)))), "type section", "a value type, where a resource type is required"},
		{"func import of a value type", comp(sec(7, vecOf(b(0x7f))), sec(10, vecOf(cat(ename("f"), b(0x01, 0x00))))), "import section", "where a function type is required"},
		{"instance import of a func type", comp(sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00))), sec(10, vecOf(cat(ename("i"), b(0x05, 0x00))))), "import section", "where an instance type is required"},
		{"canon lift of a value type", comp(sec(1, coreModule), sec(2, vecOf(cat(b(0x00, 0x00), vecOf()))), sec(6, vecOf(cat(b(0x00, 0x00, 0x01, 0x00), str("f")))), sec(7, vecOf(b(0x7f))), sec(8, vecOf(b(0x00, 0x00, 0x00, 0x00, 0x00)))), "canon section", "where a function type is required"},
		{"resource.new of a value type", comp(sec(7, vecOf(b(0x7f))), sec(8, vecOf(b(0x02, 0x00)))), "canon section", "where a resource type is required"},
		{"outer alias keeps the class", comp(sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00))), sec(4, comp(sec(6, vecOf(b(0x03, 0x02, 0x01, 0x00))), sec(7, vecOf(b(0x70, 0x00)))))), "component 0: type section", "a function type, where a value type"},
		{"value section", comp(sec(12, vecOf())), "value section", "unsupported"},
		{"type index out of bounds", comp(sec(7, vecOf(b(0x70, 0x05)))), "type section", "type index 5, but only 0 type"},
		{"own of a missing resource", comp(sec(7, vecOf(b(0x69, 0x00)))), "type section", "type index 0, but only 0"},
		{"negative type index", comp(sec(7, vecOf(b(0x70, 0x50)))), "type section", "neither a value type opcode nor a type index"},
		{"invalid type opcode", comp(sec(7, vecOf(b(0x10)))), "type section", "invalid type opcode 0x10"},
		{"empty record", comp(sec(7, vecOf(b(0x72, 0x00)))), "type section", "at least one field"},
		{"duplicate record field", comp(sec(7, vecOf(cat(b(0x72), vecOf(cat(str("a"), b(0x7f)), cat(str("a"), b(0x7f))))))), "type section", "not unique"},
		{"bad label", comp(sec(7, vecOf(cat(b(0x72), vecOf(cat(str("Bad_label"), b(0x7f))))))), "type section", "invalid record label"},
		{"33 flags", comp(sec(7, vecOf(flagsN(33)))), "type section", "over the limit of 32"},
		{"variant refinement", comp(sec(7, vecOf(cat(b(0x71), vecOf(cat(str("a"), b(0x00, 0x01, 0x00))))))), "type section", "refinements"},
		{"named results", comp(sec(7, vecOf(cat(b(0x40), vecOf(), b(0x01, 0x01), str("r"), b(0x7f))))), "type section", "named results"},
		{"async func type", comp(sec(7, vecOf(b(0x43, 0x00, 0x01, 0x00)))), "type section", "async function types"},
		{"stream type", comp(sec(7, vecOf(b(0x66, 0x00)))), "type section", "stream and future"},
		{"resource inside an instance type", comp(sec(7, vecOf(instType(b(0x01, 0x3f, 0x7f, 0x00))))), "type section", "cannot be defined inside"},
		{"resource rep i64", comp(sec(7, vecOf(b(0x3f, 0x7e, 0x00)))), "type section", "must be i32"},
		{"resource destructor out of bounds", comp(sec(7, vecOf(b(0x3f, 0x7f, 0x01, 0x00)))), "type section", "core func index 0"},
		{"import in an instance type", comp(sec(7, vecOf(instType(cat(b(0x03), ename("f"), b(0x01, 0x00)))))), "type section", "cannot declare imports"},
		{"types nested too deep", nestTypes(MaxDepth + 1), "type section", "types nest deeper than the limit of 16"},
		{"components nested too deep", nestComponents(MaxDepth + 1), strings.Repeat("component 0: ", MaxDepth) + "component section", "nest deeper than the limit of 16"},
		{"nested component truncated", comp(sec(4, b(0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0x05))), "component 0: section header", "claims 5 bytes but only 0 remain"},
		{"embedded core module not a module", comp(sec(1, b(1, 2, 3))), "core module section", "core module preamble"},
		{"core instantiate of a missing module", comp(sec(2, vecOf(cat(b(0x00, 0x00), vecOf())))), "core instance section", "core module index 0, but only 0"},
		{"core instantiate argument not an instance", comp(sec(1, coreModule), sec(2, vecOf(cat(b(0x00, 0x00), vecOf(cat(str("m"), b(0x00, 0x00))))))), "core instance section", "only instances (0x12)"},
		{"core inline export out of bounds", comp(sec(2, vecOf(cat(b(0x01), vecOf(cat(str("f"), b(0x00, 0x03))))))), "core instance section", "core func index 3"},
		{"core export alias of a missing instance", comp(sec(6, vecOf(cat(b(0x00, 0x00, 0x01, 0x00), str("f"))))), "alias section", "core instance index 0, but only 0"},
		{"export alias of a missing instance", comp(sec(6, vecOf(cat(b(0x01, 0x00, 0x02), str("f"))))), "alias section", "instance index 2, but only 0"},
		{"outer alias too far", comp(sec(6, vecOf(b(0x03, 0x02, 0x01, 0x00)))), "alias section", "reaches past the outermost scope"},
		{"outer alias of a func", comp(sec(6, vecOf(b(0x01, 0x02, 0x00, 0x00)))), "alias section", "cannot have sort func"},
		{"outer alias index out of bounds", comp(sec(4, comp(sec(6, vecOf(b(0x03, 0x02, 0x01, 0x04)))))), "component 0: alias section", "type index 4, but only 0"},
		{"canon lift of a missing core func", comp(sec(8, vecOf(b(0x00, 0x00, 0x00, 0x00, 0x00)))), "canon section", "core func index 0, but only 0"},
		{"canon lower of a missing func", comp(sec(8, vecOf(b(0x01, 0x00, 0x07, 0x00)))), "canon section", "func index 7, but only 0"},
		{"canon async built-in", comp(sec(8, vecOf(b(0x09, 0x01, 0x00, 0x00)))), "canon section", "canon task.return (0x09) belongs to the component model's async or threads features, which are unsupported"},
		{"canon thread built-in", comp(sec(8, vecOf(b(0x26)))), "canon section", "thread.index"},
		{"canon memory out of bounds", comp(sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00))), sec(10, vecOf(cat(ename("f"), b(0x01, 0x00)))), sec(8, vecOf(b(0x01, 0x00, 0x00, 0x01, 0x03, 0x00)))), "canon section", "core memory index 0, but only 0"},
		{"canon duplicate encoding", comp(sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00))), sec(10, vecOf(cat(ename("f"), b(0x01, 0x00)))), sec(8, vecOf(b(0x01, 0x00, 0x00, 0x02, 0x00, 0x01)))), "canon section", "repeats or conflicts"},
		{"canon async option on lower", comp(sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00))), sec(10, vecOf(cat(ename("f"), b(0x01, 0x00)))), sec(8, vecOf(b(0x01, 0x00, 0x00, 0x01, 0x06)))), "canon section", "async feature, which is unsupported"},
		{"import of a missing type", comp(sec(10, vecOf(cat(ename("wasi:cli/run@0.2.0"), b(0x05, 0x09))))), "import section", "type index 9, but only 0"},
		{"import of a value", comp(sec(10, vecOf(cat(ename("v"), b(0x02, 0x01, 0x7f))))), "import section", "value imports"},
		{"duplicate import", comp(sec(7, vecOf(b(0x40, 0x00, 0x01, 0x00))), sec(10, vecOf(cat(ename("f"), b(0x01, 0x00)), cat(ename("F"), b(0x01, 0x00))))), "import section", "not unique"},
		{"invalid extern name", comp(sec(10, vecOf(cat(ename("not a name"), b(0x03, 0x01))))), "import section", "invalid extern name"},
		{"invalid version", comp(sec(10, vecOf(cat(ename("wasi:http/types@0.2.x"), b(0x03, 0x01))))), "import section", "not a number without leading zeros"},
		{"name not UTF-8", comp(sec(10, vecOf(cat(b(0x00, 0x02, 0xff, 0xfe), b(0x03, 0x01))))), "import section", "not valid UTF-8"},
		{"export of a missing func", comp(sec(11, vecOf(cat(ename("run"), b(0x01, 0x00, 0x00))))), "export section", "func index 0, but only 0"},
		{"export of a core func", comp(sec(11, vecOf(cat(ename("run"), b(0x00, 0x00, 0x00, 0x00))))), "export section", "core func index 0"},
		{"start of a missing func", comp(sec(9, b(0x00, 0x00, 0x00))), "start section", "func index 0, but only 0"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Decode(tc.wasm)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("got %v, want an *Error", err)
			}
			if e.Section != tc.section || !strings.Contains(e.Msg, tc.want) {
				t.Errorf("got  %v\nwant section %q and a message containing %q", err, tc.section, tc.want)
			}
			if e.Offset < 0 || e.Offset > len(tc.wasm) {
				t.Errorf("offset %d is outside the %d-byte input", e.Offset, len(tc.wasm))
			}
		})
	}
}

// TestValid decodes small hand-made components that must pass.
func TestValid(t *testing.T) {
	for _, tc := range []struct {
		name string
		wasm []byte
	}{
		{"empty", comp()},
		{"nested to the limit", nestComponents(MaxDepth)},
		{"types nested to the limit", nestTypes(MaxDepth)},
		{"32 flags", comp(sec(7, vecOf(flagsN(32))))},
		// Types 64 and 65: a valtype encodes an index as s33 (65 is 0xc1 0x00),
		// a handle as u32 (64 is 0x40).
		{"type index 64", comp(sec(7, cat(uleb(67), bytes.Repeat(b(0x7f), 64),
			b(0x3f, 0x7f, 0x00), b(0x69, 0x40), b(0x70, 0xc1, 0x00))))},
		{"resource with destructor", comp(
			sec(1, coreModule),
			sec(2, vecOf(cat(b(0x00, 0x00), vecOf()))),
			sec(6, vecOf(cat(b(0x00, 0x00, 0x01, 0x00), str("dtor")))),
			sec(7, vecOf(b(0x3f, 0x7f, 0x01, 0x00), b(0x69, 0x00), b(0x68, 0x00))),
			sec(8, vecOf(b(0x02, 0x00), b(0x03, 0x00), b(0x04, 0x00))),
		)},
		{"versioned names", comp(
			sec(7, vecOf(instType())),
			sec(10, vecOf(cat(ename("wasi:http/types@0.2.10"), b(0x05, 0x00)))),
			sec(10, vecOf(cat(b(0x02), str("wasi:http/handler@0.3"), vecOf(cat(b(0x01), str(".0-rc-2025"))), b(0x05, 0x00)))),
			sec(11, vecOf(cat(ename("wasi:http/incoming-handler@0.2.10"), b(0x05, 0x00, 0x00)))),
		)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := Decode(tc.wasm); err != nil {
				t.Fatal(err)
			}
		})
	}
}
