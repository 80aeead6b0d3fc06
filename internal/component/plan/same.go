package plan

import (
	"strings"

	"github.com/wisphq/wisp/internal/component/canon"
)

// maxCompare bounds the work of one SameFuncType (types from a binary may
// share subtrees and be exponentially large when unfolded).
const maxCompare = 100_000

// SameFuncType reports whether a and b are the same function type
// structurally: same parameter names aside, the same value types with the
// same labels, and handles to resources of the same name (the part of a
// resource's name after its last '#', so a plan's
// "wasi:io/streams@0.2.12#output-stream" matches an implementation's
// "output-stream").
func SameFuncType(a, b *canon.FuncType) bool {
	if len(a.Params) != len(b.Params) || len(a.Results) != len(b.Results) {
		return false
	}
	budget := maxCompare
	for i := range a.Params {
		if !sameType(a.Params[i], b.Params[i], &budget) {
			return false
		}
	}
	for i := range a.Results {
		if !sameType(a.Results[i], b.Results[i], &budget) {
			return false
		}
	}
	return true
}

func resourceName(r *canon.ResourceType) string {
	if r == nil {
		return ""
	}
	return r.Name[strings.LastIndexByte(r.Name, '#')+1:]
}

func sameType(a, b *canon.Type, budget *int) bool {
	if *budget--; *budget < 0 {
		return false
	}
	if a == b {
		return true
	}
	if a == nil || b == nil || a.Kind() != b.Kind() {
		return false
	}
	switch a.Kind() {
	case canon.KindOwn, canon.KindBorrow:
		return resourceName(a.Resource()) == resourceName(b.Resource())
	case canon.KindList:
		return sameType(a.Elem(), b.Elem(), budget)
	}
	la, lb := a.Labels(), b.Labels()
	if len(la) != len(lb) {
		return false
	}
	for i := range la {
		if la[i] != lb[i] {
			return false
		}
	}
	ta, tb := a.Types(), b.Types()
	if len(ta) != len(tb) {
		return false
	}
	for i := range ta {
		if (ta[i] == nil) != (tb[i] == nil) || (ta[i] != nil && !sameType(ta[i], tb[i], budget)) {
			return false
		}
	}
	return true
}
