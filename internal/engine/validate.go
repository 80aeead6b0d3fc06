package engine

import (
	"fmt"
	"sort"
	"strings"

	"github.com/tetratelabs/wazero"
	"github.com/tetratelabs/wazero/api"
)

func checkImports(rt *runtime, compiled wazero.CompiledModule) error {
	var problems []string
	for _, imp := range compiled.ImportedFunctions() {
		mod, name, _ := imp.Import()
		have, ok := rt.provided[mod+"."+name]
		if !ok && !rt.services && (strings.HasPrefix(mod, "wisp:") || mod == "wasi_experimental_http") {
			// An engine without host modules: `wisp run`, not a node.
			return invalidf("module imports %s.%s, a platform service (docs/guest-abi.md), which only a node provides: deploy the app to a node (wisp serve); wisp run gives a module WASI preview 1 only", mod, name)
		}
		if !ok {
			problems = append(problems, fmt.Sprintf("module imports %s.%s, which this node does not provide", mod, name))
			continue
		}
		if want, got := signature(have), signature(imp); want != got {
			problems = append(problems, fmt.Sprintf("module imports %s.%s with signature %s, but the node provides %s", mod, name, got, want))
		}
	}
	for _, imp := range compiled.ImportedMemories() {
		mod, name, _ := imp.Import()
		problems = append(problems, fmt.Sprintf("module imports memory %s.%s, which this node does not provide (modules must define their own memory)", mod, name))
	}
	if len(problems) == 0 {
		return nil
	}
	sort.Strings(problems)
	return invalidf("%s; Wisp provides the WASI preview1 functions (wasi_snapshot_preview1.*) and the platform services of docs/guest-abi.md (wisp:keyvalue/store@1, wisp:http/outgoing-handler@1, ...): rebuild for wasm32-wasi / wasip1 without other host imports", strings.Join(problems, "; "))
}

// Entry points. A command module exports CommandEntry and runs it once per
// request. A reactor module exports HandlerEntry (and usually
// InitializeEntry): it is initialized once when prepared and each request
// calls HandlerEntry on a copy of the initialized state (see snapshot.go).
const (
	CommandEntry    = "_start"
	InitializeEntry = "_initialize"
	HandlerEntry    = "wisp_handle"
)

// checkEntry reports whether compiled is a reactor, or why it is neither a
// command nor a reactor Wisp can run.
func checkEntry(compiled wazero.CompiledModule) (reactor bool, err error) {
	exports := compiled.ExportedFunctions()
	nullary := func(name string) error {
		f := exports[name]
		if len(f.ParamTypes()) != 0 || len(f.ResultTypes()) != 0 {
			return invalidf("module exports %s with signature %s; it must take and return nothing", name, signature(f))
		}
		return nil
	}
	_, hasStart := exports[CommandEntry]
	_, hasHandler := exports[HandlerEntry]
	_, hasInit := exports[InitializeEntry]
	switch {
	case hasStart && hasHandler:
		return false, invalidf("module exports both %s and %s: export %s for a command run once per request, or %s (with %s) for a pre-initialized reactor, not both (Go: a reactor is built with -buildmode=c-shared)", CommandEntry, HandlerEntry, CommandEntry, HandlerEntry, InitializeEntry)
	case hasStart:
		return false, nullary(CommandEntry)
	case hasHandler:
		if err := nullary(HandlerEntry); err != nil {
			return false, err
		}
		if hasInit {
			if err := nullary(InitializeEntry); err != nil {
				return false, err
			}
		}
		return true, nil
	case hasInit:
		return false, invalidf("module is a reactor (it exports %s) without a %s function: export the request handler as %s (Go: //go:wasmexport %s, built with -buildmode=c-shared; with the Go SDK, build with -tags wisp_reactor), or build a command with a main function", InitializeEntry, HandlerEntry, HandlerEntry, HandlerEntry)
	}
	return false, invalidf("module has no exported %s function: Wisp runs WASI command modules (a C/Rust/Go/TinyGo program with a main function built for wasm32-wasi / wasip1) or reactors that export %s", CommandEntry, HandlerEntry)
}

func signature(f api.FunctionDefinition) string { return typeString(f.ParamTypes(), f.ResultTypes()) }

// valueTypeV128 is the binary format's v128 value type, which wazero's
// api package has no constant for.
const valueTypeV128 api.ValueType = 0x7b

// typeString spells a core function type: "(i32,i32) -> (i32)".
func typeString(params, results []api.ValueType) string {
	names := func(ts []api.ValueType) string {
		s := make([]string, len(ts))
		for i, t := range ts {
			s[i] = api.ValueTypeName(t)
			if t == valueTypeV128 {
				s[i] = "v128"
			}
		}
		return "(" + strings.Join(s, ",") + ")"
	}
	return names(params) + " -> " + names(results)
}
