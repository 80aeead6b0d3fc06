package preinit

import (
	"fmt"

	"github.com/wisphq/wisp/internal/wasmbin"
)

// reader and section are wasmbin's, which internal/meter shares.
type (
	reader  = wasmbin.Reader
	section = wasmbin.Section
)

func find(secs []section, id byte) *section {
	for i := range secs {
		if secs[i].ID == id {
			return &secs[i]
		}
	}
	return nil
}

// assemble writes wasm's sections in order, each replaced by the body in
// replace when its id is a key there (a nil body drops the section).
// Replacements for sections the module lacks are ignored.
func assemble(wasm []byte, secs []section, replace map[byte]*[]byte) []byte {
	out := make([]byte, 0, len(wasm)+64)
	out = append(out, wasmbin.Magic...)
	for _, s := range secs {
		body, ok := replace[s.ID]
		if !ok || s.ID == 0 { // custom sections are kept as they are
			out = append(out, wasm[s.Start:s.End]...)
			continue
		}
		if body == nil {
			continue
		}
		out = append(out, s.ID)
		out = wasmbin.AppendVec(out, *body)
	}
	return out
}

// globalDef is a global the module defines.
type globalDef struct {
	typ     byte
	mutable bool
	init    []byte // constant expression, end included
}

func parseGlobals(body []byte) ([]globalDef, error) {
	r := &reader{B: body}
	n, err := r.U32()
	if err != nil {
		return nil, fmt.Errorf("global section: %w", err)
	}
	defs := make([]globalDef, 0, min(n, 1<<16))
	for i := uint32(0); i < n; i++ {
		typ, err := r.Byte()
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		mut, err := r.Byte()
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		init, err := wasmbin.SingleConstExpr(r)
		if err != nil {
			return nil, fmt.Errorf("global %d: %w", i, err)
		}
		defs = append(defs, globalDef{typ: typ, mutable: mut == 1, init: init})
	}
	return defs, nil
}
