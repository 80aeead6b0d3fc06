package wasmscan

import (
	"bytes"
	"fmt"
)

// shapeModules generate the modules measured by TestMeasure and used at
// the caps by the table tests: each stresses one dimension of a module,
// in the shape that costs wazero the most per byte that we found.
// Arguments come from the word after the slash, such as "nest/5000".
var shapeModules = map[string]func(args []int) []byte{
	// nest/D,F: F functions, each with blocks nested D deep.
	"nest": func(a []int) []byte {
		d, f := arg(a, 0, 1000), arg(a, 1, 1)
		m := &builder{}
		t := m.addType(nil, nil)
		code := cat(repeat(opBlock(), d), repeat(opEnd, d), opEnd)
		for i := 0; i < f; i++ {
			m.addFunc(t, nil, code)
		}
		return m.wasm()
	},
	// seq/B,F: F functions, each a sequence of B empty blocks: no
	// nesting, but a chain of B basic blocks, each dominating the next.
	"seq": func(a []int) []byte {
		n, f := arg(a, 0, 1000), arg(a, 1, 1)
		m := &builder{}
		t := m.addType(nil, nil)
		code := cat(repeat(cat(opBlock(), opEnd), n), opEnd)
		for i := 0; i < f; i++ {
			m.addFunc(t, nil, code)
		}
		return m.wasm()
	},
	// brifs/B,F: F functions, each with B br_if to the end of one block.
	"brifs": func(a []int) []byte {
		n, f := arg(a, 0, 1000), arg(a, 1, 1)
		m := &builder{}
		t := m.addType([]byte{i32}, nil)
		code := cat(opBlock(), repeat(cat(opLocalGet(0), opBrIf(0)), n), opEnd, opEnd)
		for i := 0; i < f; i++ {
			m.addFunc(t, nil, code)
		}
		return m.wasm()
	},
	// calls/N,P: a function that makes N pairs of calls: to g, which
	// returns P values, and to f, which takes them.
	"calls": func(a []int) []byte {
		n, p := arg(a, 0, 1000), arg(a, 1, 10)
		m := &builder{}
		vals := bytes.Repeat([]byte{i32}, p)
		tg, tf, t := m.addType(nil, vals), m.addType(vals, nil), m.addType(nil, nil)
		var consts []byte
		for i := 0; i < p; i++ {
			consts = append(consts, opI32Const(int32(i))...)
		}
		m.addFunc(tg, nil, cat(consts, opEnd))
		m.addFunc(tf, nil, opEnd)
		m.addFunc(t, nil, cat(repeat(cat(0x10, 0x00, 0x10, 0x01), n), opEnd))
		return m.wasm()
	},
	// typesfuncs/T,F: T distinct function types and F empty functions:
	// wazero visits every type before compiling each function.
	"typesfuncs": func(a []int) []byte {
		tn, f := arg(a, 0, 1000), arg(a, 1, 1000)
		m := &builder{}
		for i := 0; i < tn; i++ {
			m.addType(distinctParams(i), nil)
		}
		for i := 0; i < f; i++ {
			m.addFunc(0, nil, opEnd)
		}
		return m.wasm()
	},
	// atcaps: one module near MaxModuleWork made of the costliest shapes,
	// each function near MaxFunctionWork, with many types, globals and
	// element items besides.
	"atcaps": func([]int) []byte {
		m := &builder{}
		tv, tp := m.addType(nil, nil), m.addType([]byte{i32}, nil)
		vals := bytes.Repeat([]byte{i32}, 1000)
		tg, tf := m.addType(nil, vals), m.addType(vals, nil)
		for i := 0; i < 2000; i++ {
			m.addType(distinctParams(i+1<<12), nil)
		}
		var consts []byte
		for i := 0; i < 1000; i++ {
			consts = append(consts, opI32Const(int32(i))...)
		}
		g := m.addFunc(tg, nil, cat(consts, opEnd))
		f := m.addFunc(tf, nil, opEnd)
		m.addFunc(tv, nil, cat(repeat(cat(0x10, uleb(uint64(g)), 0x10, uleb(uint64(f))), 990), opEnd))
		for i := 0; i < 2; i++ {
			m.addFunc(tp, nil, cat(opBlock(), repeat(cat(opLocalGet(0), opBrIf(0)), 7700), opEnd, opEnd))
			m.addFunc(tp, []local{{19, i64}}, goShapedBody(3790))
		}
		for i := 0; i < 3; i++ {
			m.addFunc(tv, []local{{1000, i32}}, mergesBody(1000, 2800))
		}
		for i := 0; i < 2; i++ {
			m.addFunc(tv, nil, cat(repeat(opBlock(), 10000), repeat(opEnd, 10001)))
		}
		for i := 0; i < 50000; i++ { // immutable: mutable ones cost at every call
			m.globals = append(m.globals, cat(i64, 0x00, 0x42, sleb(int64(i)), opEnd))
		}
		items := 500000
		m.elems = [][]byte{cat(0x01, 0x00, uleb(uint64(items)), make([]byte, items))}
		return m.wasm()
	},
	// globalcalls/G,C,F: G mutable globals and F functions that each make C
	// calls: wazero reloads every mutable global after each call, and
	// declares a variable per global in every function.
	"globalcalls": func(a []int) []byte {
		g, c, f := arg(a, 0, 1000), arg(a, 1, 1000), arg(a, 2, 1)
		m := &builder{}
		t := m.addType(nil, nil)
		for i := 0; i < g; i++ {
			m.globals = append(m.globals, cat(i32, 0x01, opI32Const(int32(i)), opEnd))
		}
		m.addFunc(t, nil, opEnd)
		code := cat(repeat(cat(0x10, 0x00), c), opEnd)
		for i := 0; i < f; i++ {
			m.addFunc(t, nil, code)
		}
		return m.wasm()
	},
	// gonest/D,F: F functions shaped like the Go compiler's output: a
	// loop around D nested blocks entered through a br_table, each block
	// followed by code that updates locals and may branch back to the
	// loop.
	"gonest": func(a []int) []byte {
		d, f := arg(a, 0, 1000), arg(a, 1, 1)
		m := &builder{}
		t := m.addType([]byte{i32}, nil)
		code := goShapedBody(d)
		for i := 0; i < f; i++ {
			m.addFunc(t, []local{{19, i64}}, code)
		}
		return m.wasm()
	},
	// merges/L,B,F: F functions, each with L locals, B blocks that each
	// end in a merge (a br_if to the block's end), then a read of every
	// local: each read walks back through all B merges.
	"merges": func(a []int) []byte {
		l, b, f := arg(a, 0, 1000), arg(a, 1, 1000), arg(a, 2, 1)
		m := &builder{}
		t := m.addType(nil, nil)
		code := mergesBody(l, b)
		for i := 0; i < f; i++ {
			m.addFunc(t, []local{{uint64(l), i32}}, code)
		}
		return m.wasm()
	},
	// loopmerges/L,B: like merges, but the blocks sit in a loop and each
	// local is written inside it, so every merge needs a phi per local.
	"loopmerges": func(a []int) []byte {
		l, b, f := arg(a, 0, 1000), arg(a, 1, 1000), arg(a, 2, 1)
		m := &builder{}
		t := m.addType(nil, nil)
		code := loopMergesBody(l, b)
		for i := 0; i < f; i++ {
			m.addFunc(t, []local{{uint64(l), i32}}, code)
		}
		return m.wasm()
	},
	// live/L,F: F functions that each set L locals, then sum them all, so
	// all L values are live at once.
	"live": func(a []int) []byte {
		l, f := arg(a, 0, 1000), arg(a, 1, 1)
		m := &builder{}
		t := m.addType(nil, []byte{i32})
		code := liveBody(l)
		for i := 0; i < f; i++ {
			m.addFunc(t, []local{{uint64(l), i32}}, code)
		}
		return m.wasm()
	},
	// brtable/T,P,K: a br_table of T targets over K nested blocks that
	// each take P values.
	"brtable": func(a []int) []byte {
		tn, p, k := arg(a, 0, 1000), arg(a, 1, 10), arg(a, 2, 10)
		m := &builder{}
		t := m.addType(nil, nil)
		bt := m.addType(nil, bytes.Repeat([]byte{i32}, p))
		var code []byte
		for i := 0; i < k; i++ {
			code = append(code, cat(0x02, sleb(int64(bt)))...)
		}
		for i := 0; i < p; i++ {
			code = append(code, opI32Const(int32(i))...)
		}
		code = append(code, opI32Const(0)...)
		code = append(code, cat(0x0e, uleb(uint64(tn)))...)
		for i := 0; i < tn; i++ {
			code = append(code, uleb(uint64(i%k))...)
		}
		code = append(code, 0x00)
		code = append(code, repeat(opEnd, k)...)
		code = append(code, repeat(opDrop, p)...)
		m.addFunc(t, nil, cat(code, opEnd))
		return m.wasm()
	},
	// straight/S,F: F functions of about S bytes of straight-line
	// arithmetic on a few locals: the baseline cost per byte.
	"straight": func(a []int) []byte {
		s, f := arg(a, 0, 100000), arg(a, 1, 1)
		m := &builder{}
		t := m.addType(nil, nil)
		unit := cat(opLocalGet(0), opLocalGet(1), 0x6a, opLocalSet(1)) // l1 = l0 + l1
		code := cat(repeat(unit, s/len(unit)), opEnd)
		for i := 0; i < f; i++ {
			m.addFunc(t, []local{{2, i32}}, code)
		}
		return m.wasm()
	},
	// funcs/N: N functions with empty bodies.
	"funcs": func(a []int) []byte {
		n := arg(a, 0, 1000)
		m := &builder{}
		t := m.addType(nil, nil)
		for i := 0; i < n; i++ {
			m.addFunc(t, nil, opEnd)
		}
		return m.wasm()
	},
	// types/N,P: N distinct function types with P parameters each, and
	// one function of each type (wazero compiles an entry preamble per
	// type).
	"types": func(a []int) []byte {
		n, p := arg(a, 0, 1000), arg(a, 1, 10)
		m := &builder{}
		for i := 0; i < n; i++ {
			params := bytes.Repeat([]byte{i32}, p)
			for j := 0; j < 20 && j < p; j++ { // make each type distinct
				if i>>j&1 == 1 {
					params[j] = i64
				}
			}
			m.addFunc(m.addType(params, nil), nil, opEnd)
		}
		return m.wasm()
	},
	// table/N,M: one table of minimum N and maximum M (no maximum if
	// M is 0).
	"table": func(a []int) []byte {
		n, mx := arg(a, 0, 1000), arg(a, 1, 0)
		m := &builder{}
		if mx == 0 {
			m.tables = [][]byte{cat(funcref, 0x00, uleb(uint64(n)))}
		} else {
			m.tables = [][]byte{cat(funcref, 0x01, uleb(uint64(n)), uleb(uint64(mx)))}
		}
		return m.wasm()
	},
	// tables/N,E: N tables of E elements each.
	"tables": func(a []int) []byte {
		n, e := arg(a, 0, 10), arg(a, 1, 1000)
		m := &builder{}
		for i := 0; i < n; i++ {
			m.tables = append(m.tables, cat(funcref, 0x00, uleb(uint64(e))))
		}
		return m.wasm()
	},
	// globals/N: N mutable i64 globals.
	"globals": func(a []int) []byte {
		n := arg(a, 0, 1000)
		m := &builder{}
		for i := 0; i < n; i++ {
			m.globals = append(m.globals, cat(i64, 0x01, 0x42, sleb(int64(i)), opEnd))
		}
		return m.wasm()
	},
	// imports/N: N imports of wasi_snapshot_preview1.sched_yield.
	"imports": func(a []int) []byte {
		n := arg(a, 0, 1000)
		m := &builder{}
		t := m.addType(nil, []byte{i32})
		for i := 0; i < n; i++ {
			m.imports = append(m.imports, cat(name("wasi_snapshot_preview1"), name("sched_yield"), 0x00, uleb(uint64(t))))
		}
		return m.wasm()
	},
	// exports/N: N exports, under distinct names, of one function.
	"exports": func(a []int) []byte {
		n := arg(a, 0, 1000)
		m := &builder{}
		m.addFunc(m.addType(nil, nil), nil, opEnd)
		for i := 0; i < n; i++ {
			m.exportFunc(fmt.Sprint(i), 0)
		}
		return m.wasm()
	},
	// data/N,S: N active data segments of S bytes in a memory that holds
	// them.
	"data": func(a []int) []byte {
		n, s := arg(a, 0, 1000), arg(a, 1, 10)
		m := &builder{}
		m.withMemory(uint32((n*s)>>16 + 1))
		seg := make([]byte, s)
		for i := 0; i < n; i++ {
			m.datas = append(m.datas, cat(0x00, opI32Const(int32(i*s)), opEnd, uleb(uint64(s)), seg))
		}
		return m.wasm()
	},
	// elems/N,I: N passive element segments of I references to function 0.
	"elems": func(a []int) []byte {
		n, items := arg(a, 0, 1000), arg(a, 1, 10)
		m := &builder{}
		m.addFunc(m.addType(nil, nil), nil, opEnd)
		seg := cat(0x01, 0x00, uleb(uint64(items)), make([]byte, items))
		for i := 0; i < n; i++ {
			m.elems = append(m.elems, seg)
		}
		return m.wasm()
	},
	// names/N: a "name" section naming N functions (of N defined).
	"names": func(a []int) []byte {
		n := arg(a, 0, 1000)
		m := &builder{}
		t := m.addType(nil, nil)
		var names [][]byte
		for i := 0; i < n; i++ {
			m.addFunc(t, nil, opEnd)
			names = append(names, cat(uleb(uint64(i)), name("f")))
		}
		sub := vec(names)
		m.customsLast = [][]byte{customSection("name", cat(0x01, uleb(uint64(len(sub))), sub))}
		return m.wasm()
	},
	// custom/S,N: N custom sections named .debug_info of S bytes each,
	// which wazero copies and hands to debug/dwarf.
	"custom": func(a []int) []byte {
		s, n := arg(a, 0, 1<<20), arg(a, 1, 1)
		m := &builder{}
		for i := 0; i < n; i++ {
			m.customsLast = append(m.customsLast, customSection(".debug_info", make([]byte, s)))
		}
		return m.wasm()
	},
}

// distinctParams returns a parameter list of 10 values that differs for
// each i below 2^20.
func distinctParams(i int) []byte {
	p := bytes.Repeat([]byte{i32}, 10)
	for j := range p {
		p[j] = []byte{i32, i64, f32, f64}[i>>(2*j)&3]
	}
	return p
}

// goShapedBody is a function body in the shape the Go compiler emits: a
// dispatch loop around d nested blocks entered with br_table, each block
// followed by code that computes on locals and branches back to the loop.
func goShapedBody(d int) []byte {
	var b []byte
	b = append(b, opLoop()...)
	b = append(b, repeat(opBlock(), d)...)
	b = append(b, opLocalGet(0)...)
	b = append(b, cat(0x0e, uleb(uint64(d)))...)
	for i := 0; i < d; i++ {
		b = append(b, uleb(uint64(i))...)
	}
	b = append(b, uleb(uint64(d-1))...)
	for k := 0; k < d; k++ {
		b = append(b, opEnd...)
		// Inside blocks k+1..d-1 and the loop: the loop is label d-1-k.
		x := uint32(1 + k%19)
		b = append(b, cat(opLocalGet(x), 0x42, sleb(int64(k)), 0x7c, opLocalSet(x))...) // lx += k
		b = append(b, cat(opLocalGet(0), opI32Const(1), 0x6a, opLocalSet(0))...)        // l0++
		b = append(b, cat(opLocalGet(0), opBrIf(uint32(d-1-k)))...)
	}
	b = append(b, opEnd...) // loop
	return append(b, opEnd...)
}

// mergesBody: b blocks that each end in a merge, then a read of each of
// l locals.
func mergesBody(l, b int) []byte {
	var code []byte
	unit := cat(opBlock(), opLocalGet(0), opBrIf(0), opEnd)
	code = append(code, repeat(unit, b)...)
	for i := 0; i < l; i++ {
		code = append(code, cat(opLocalGet(uint32(i)), opDrop)...)
	}
	return append(code, opEnd...)
}

// loopMergesBody: a loop in which b blocks each end in a merge after
// writing one of l locals, then every local is read and the loop repeats.
func loopMergesBody(l, b int) []byte {
	var code []byte
	code = append(code, opLoop()...)
	for i := 0; i < b; i++ {
		code = append(code, cat(opBlock(), opLocalGet(0), opBrIf(0), opI32Const(int32(i)), opLocalSet(uint32(i%l)), opEnd)...)
	}
	for i := 0; i < l; i++ {
		code = append(code, cat(opLocalGet(uint32(i)), opDrop)...)
	}
	code = append(code, cat(opLocalGet(0), opBrIf(0))...)
	code = append(code, opEnd...)
	return append(code, opEnd...)
}

// liveBody sets l locals to distinct values, then adds them all up.
func liveBody(l int) []byte {
	var code []byte
	for i := 0; i < l; i++ {
		code = append(code, cat(opI32Const(int32(i*7+1)), opLocalSet(uint32(i)))...)
	}
	code = append(code, opI32Const(0)...)
	for i := 0; i < l; i++ {
		code = append(code, cat(opLocalGet(uint32(i)), 0x6a)...)
	}
	return append(code, opEnd...)
}
