package wasmscan

// kitchenSink returns a valid module that uses every section and every
// encoding Scan reads: imports of each kind, all eight element segment
// forms, the three data segment forms, a name section with its three
// subsections, and code with every immediate kind. Truncating and
// mutating it exercises every path of the scanner.
func kitchenSink() []byte {
	m := &builder{}
	tv := m.addType(nil, nil)                      // 0: [] -> []
	ti := m.addType([]byte{i32}, []byte{i32})      // 1: [i32] -> [i32]
	tm := m.addType([]byte{i32, i64}, []byte{f32}) // 2: [i32 i64] -> [f32]
	m.imports = [][]byte{
		cat(name("wasi_snapshot_preview1"), name("proc_exit"), 0x00, uleb(uint64(m.addType([]byte{i32}, nil)))),
		cat(name("env"), name("table"), 0x01, funcref, 0x01, 0x01, 0x10), // table 1..16
		cat(name("env"), name("memory"), 0x02, 0x00, 0x01),               // memory min 1
		cat(name("env"), name("global"), 0x03, i32, 0x00),                // immutable i32
	}
	m.tables = [][]byte{cat(funcref, 0x01, 0x02, 0x08)}         // table 1: 2..8
	m.globals = [][]byte{cat(i64, 0x01, 0x42, sleb(-5), opEnd)} // global 1: mut i64 = -5
	m.globals = append(m.globals, cat(funcref, 0x00, 0xd2, 0x01, opEnd), cat(v128, 0x00, 0xfd, 0x0c, make([]byte, 16), opEnd))
	m.globals = append(m.globals, cat(f64, 0x00, 0x44, make([]byte, 8), opEnd), cat(f32, 0x00, 0x43, make([]byte, 4), opEnd))
	m.globals = append(m.globals, cat(0x6f, 0x00, 0xd0, 0x6f, opEnd), cat(i32, 0x00, 0x23, 0x00, opEnd))

	// Function 1 (after the import): the exported _start.
	start := m.addFunc(tv, nil, opEnd)
	m.exportFunc("_start", uint32(start+1))
	m.exports = append(m.exports, cat(name("t"), 0x01, 0x01), cat(name("g"), 0x03, 0x01))
	m.start = uleb(uint64(start + 1))

	// Function 2: every kind of immediate.
	var code []byte
	code = append(code, cat(0x02, 0x40, 0x03, 0x7f, opI32Const(1), opI32Const(1), 0x04, sleb(int64(ti)), 0x05, 0x0b, 0x0b, 0x1a, 0x0b)...)        // block, loop, if with type index, else
	code = append(code, cat(0x02, 0x40, opLocalGet(0), 0x0e, 0x02, 0x00, 0x00, 0x00, 0x0b)...)                                                    // br_table
	code = append(code, cat(opLocalGet(0), opLocalGet(0), opLocalGet(0), 0x1c, 0x01, i32, 0x1a)...)                                               // typed select
	code = append(code, cat(opLocalGet(0), 0x28, 0x02, 0x80, 0x01, 0x1a)...)                                                                      // i32.load with a 2-byte offset
	code = append(code, cat(0x42, sleb(-1<<40), 0x1a, 0x43, make([]byte, 4), 0x1a, 0x44, make([]byte, 8), 0x1a)...)                               // i64/f32/f64.const
	code = append(code, cat(0x41, sleb(-1<<30), 0x1a, 0xd0, 0x70, 0xd1, 0x1a, 0xd2, 0x01, 0x1a)...)                                               // ref.null, ref.is_null, ref.func
	code = append(code, cat(0x3f, 0x00, 0x40, 0x00, 0x1a)...)                                                                                     // memory.size, memory.grow
	code = append(code, cat(opI32Const(0), 0x11, uleb(uint64(tv)), 0x00)...)                                                                      // call_indirect
	code = append(code, cat(0x10, uleb(uint64(start+1)))...)                                                                                      // call
	code = append(code, cat(0x43, make([]byte, 4), 0xfc, 0x00, 0x1a)...)                                                                          // i32.trunc_sat_f32_s
	code = append(code, cat(opI32Const(0), opI32Const(0), opI32Const(0), 0xfc, 0x08, 0x00, 0x00)...)                                              // memory.init
	code = append(code, cat(0xfc, 0x09, 0x00)...)                                                                                                 // data.drop
	code = append(code, cat(opI32Const(0), opI32Const(0), opI32Const(0), 0xfc, 0x0a, 0x00, 0x00)...)                                              // memory.copy
	code = append(code, cat(opI32Const(0), opI32Const(0), opI32Const(0), 0xfc, 0x0b, 0x00)...)                                                    // memory.fill
	code = append(code, cat(opI32Const(0), opI32Const(0), opI32Const(0), 0xfc, 0x0c, 0x01, 0x00)...)                                              // table.init
	code = append(code, cat(0xfc, 0x0d, 0x01)...)                                                                                                 // elem.drop
	code = append(code, cat(opI32Const(0), opI32Const(0), opI32Const(0), 0xfc, 0x0e, 0x00, 0x00)...)                                              // table.copy
	code = append(code, cat(0xd0, 0x70, opI32Const(1), 0xfc, 0x0f, 0x01, 0x1a)...)                                                                // table.grow on table 1 (bounded)
	code = append(code, cat(0xfc, 0x10, 0x00, 0x1a)...)                                                                                           // table.size
	code = append(code, cat(opI32Const(0), 0xd0, 0x70, opI32Const(0), 0xfc, 0x11, 0x00)...)                                                       // table.fill
	code = append(code, cat(opI32Const(0), 0x25, 0x00, 0x1a, opI32Const(0), 0xd0, 0x70, 0x26, 0x00)...)                                           // table.get, table.set
	code = append(code, cat(0xfd, 0x0c, make([]byte, 16), 0xfd, 0x15, 0x03, 0x1a)...)                                                             // v128.const, i8x16.extract_lane_s
	code = append(code, cat(opI32Const(0), 0xfd, 0x00, 0x04, 0x00, 0x1a)...)                                                                      // v128.load
	code = append(code, cat(0xfd, 0x0c, make([]byte, 16), 0xfd, 0x0c, make([]byte, 16), 0xfd, 0x0d, make([]byte, 16), 0xfd, 0x81, 0x01, 0x1a)...) // shuffle, i16x8.neg (two-byte opcode)
	code = append(code, cat(opI32Const(0), 0xfd, 0x0c, make([]byte, 16), 0xfd, 0x54, 0x00, 0x00, 0x01, 0x1a)...)                                  // v128.load8_lane
	code = append(code, cat(opI32Const(0), 0xfd, 0x5c, 0x02, 0x00, 0x1a)...)                                                                      // v128.load32_zero
	code = append(code, cat(opLocalGet(1), opLocalTee(2), opLocalSet(3), 0x23, 0x01, 0x24, 0x01, 0x01, 0x00)...)                                  // local.tee/set, global.get/set, nop, unreachable
	code = append(code, cat(0x0f, 0x0b)...)                                                                                                       // return, end
	m.addFunc(tm, []local{{2, i64}, {1, v128}}, code)

	// All eight element segment forms.
	m.elems = [][]byte{
		cat(0x00, opI32Const(0), opEnd, 0x01, 0x01),                             // active, table 0, func indices
		cat(0x01, 0x00, 0x01, 0x01),                                             // passive, func indices
		cat(0x02, 0x01, opI32Const(0), opEnd, 0x00, 0x01, 0x01),                 // active, table 1, func indices
		cat(0x03, 0x00, 0x01, 0x01),                                             // declarative, func indices
		cat(0x04, opI32Const(0), opEnd, 0x01, 0xd2, 0x01, opEnd),                // active, table 0, expressions
		cat(0x05, funcref, 0x02, 0xd2, 0x01, opEnd, 0xd0, 0x70, opEnd),          // passive, expressions
		cat(0x06, 0x01, opI32Const(1), opEnd, funcref, 0x01, 0xd2, 0x02, opEnd), // active, table 1, expressions
		cat(0x07, funcref, 0x01, 0xd2, 0x01, opEnd),                             // declarative, expressions
	}
	m.dataCount = uleb(3)
	m.datas = [][]byte{
		cat(0x00, opI32Const(0), opEnd, name("hello")),       // active
		cat(0x01, name("passive")),                           // passive
		cat(0x02, 0x00, opI32Const(16), opEnd, name("mem0")), // active, memory 0
	}
	m.customs = [][]byte{customSection("producers", name("kitchen"))}
	funcNames := vec([][]byte{cat(0x01, name("_start")), cat(0x02, name("everything"))})
	localNames := vec([][]byte{cat(0x02, vec([][]byte{cat(0x00, name("p0")), cat(0x03, name("v"))}))})
	m.customsLast = [][]byte{customSection("name", cat(
		0x00, uleb(uint64(len(name("ks")))), name("ks"),
		0x01, uleb(uint64(len(funcNames))), funcNames,
		0x02, uleb(uint64(len(localNames))), localNames,
		0x07, 0x02, 0x00, 0x00, // an unknown subsection, skipped
	))}
	return m.wasm()
}

func opLocalTee(i uint32) []byte { return cat(0x22, uleb(uint64(i))) }
