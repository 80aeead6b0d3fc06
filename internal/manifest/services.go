package manifest

import (
	"fmt"
	"strings"

	"github.com/wisphq/wisp"
)

// The platform services an app declares: key_value_stores,
// allowed_outbound_hosts and [variables] (docs/guest-abi.md). Each is
// checked with the root package's rules, so that what Parse accepts a
// deploy accepts too.

// stringList returns the strings of the top-level array key, each with
// its position, reporting a value that is not an array and elements that
// are not strings. An empty array is returned as nil.
func (p *parser) stringList(doc map[string]any, key string) (values []string, at []position) {
	v, ok := doc[key]
	if !ok {
		return nil, nil
	}
	list, ok := v.([]any)
	if !ok {
		e := p.entryOf(key)
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return nil, nil
	}
	for i, el := range list {
		e := p.entryOf(key, indexPart(i))
		if s, ok := p.str(el, e); ok {
			values = append(values, s)
			at = append(at, e.value)
		}
	}
	return values, at
}

// keyValueStores returns the valid names of key_value_stores, in the
// order written; nil if there are none.
func (p *parser) keyValueStores(doc map[string]any) []string {
	names, at := p.stringList(doc, "key_value_stores")
	var stores []string
	first := map[string]position{}
	for i, name := range names {
		if err := wisp.ValidateKVStoreName(name); err != nil {
			p.report(p.wrap(at[i], err))
			continue
		}
		if prev, dup := first[name]; dup {
			p.reportAt(at[i], "key-value store %q is listed twice (also on line %d); remove one", name, prev.line)
			continue
		}
		first[name] = at[i]
		stores = append(stores, name)
	}
	return stores
}

// allowedOutboundHosts returns the valid patterns of
// allowed_outbound_hosts, in the order written; nil if there are none.
// Each is checked on its own, so that every bad one is reported at its
// line.
func (p *parser) allowedOutboundHosts(doc map[string]any) []string {
	patterns, at := p.stringList(doc, "allowed_outbound_hosts")
	var hosts []string
	first := map[string]position{}
	for i, pattern := range patterns {
		if err := outboundProblem(pattern); err != nil {
			p.report(p.wrap(at[i], outboundError{err, i}))
			continue
		}
		if prev, dup := first[pattern]; dup {
			p.reportAt(at[i], "allowed_outbound_hosts lists %q twice (also on line %d); remove one", pattern, prev.line)
			continue
		}
		first[pattern] = at[i]
		hosts = append(hosts, pattern)
	}
	return hosts
}

// outboundProblem checks one allowed_outbound_hosts pattern with the rule
// a deploy applies (wisp.AppSpec.Validate), and returns what is wrong
// with it, if anything. The rest of the spec checked is valid, so an
// error is the pattern's.
func outboundProblem(pattern string) error {
	spec := wisp.AppSpec{
		Name:                 "app",
		Module:               "sha256:" + strings.Repeat("0", 64),
		Routes:               []wisp.Route{{Path: "/app"}},
		AllowedOutboundHosts: []string{pattern},
	}
	return spec.Validate()
}

// outboundError is the error of pattern i of allowed_outbound_hosts,
// checked alone: its message names it by its place in the manifest's
// list rather than by its place (0) in the list checked. errors.Is and
// errors.As see err.
type outboundError struct {
	err error
	i   int
}

func (o outboundError) Error() string {
	msg := o.err.Error()
	for _, prefix := range []string{wisp.ErrInvalid.Error() + ": ", "allowed_outbound_hosts: "} {
		msg = strings.TrimPrefix(msg, prefix)
	}
	key := fmt.Sprintf("allowed_outbound_hosts[%d]", o.i)
	if rest, ok := strings.CutPrefix(msg, "allowed_outbound_hosts[0]"); ok {
		return key + rest
	}
	return key + ": " + msg
}

func (o outboundError) Unwrap() error { return o.err }

// variables returns the [variables] table; nil if it declares none. app
// is the app's name, for messages ("" if the manifest has no valid one).
func (p *parser) variables(doc map[string]any, app string) map[string]wisp.Variable {
	v, ok := doc["variables"]
	if !ok {
		return nil
	}
	table, ok := v.(map[string]any)
	if !ok {
		e := p.entryOf("variables")
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return nil
	}
	vars := make(map[string]wisp.Variable, len(table))
	for _, name := range p.inFileOrder(table, "variables") {
		e := p.entryOf("variables", name)
		if p.explained[pathKey(e.path)] {
			continue
		}
		if err := wisp.ValidateVariableName(name); err != nil {
			p.report(p.wrap(e.key, err))
			continue
		}
		decl, ok := table[name].(map[string]any)
		if !ok {
			p.report(p.wrongType(e.value, e.path, e.kind, e))
			continue
		}
		if variable, ok := p.variable(name, decl, app); ok {
			vars[name] = variable
		}
	}
	if len(vars) == 0 {
		return nil
	}
	return vars
}

// variable converts the declaration of the variable name, { default =
// "hi" }, { required = true } or { secret = true }, applying the rules of
// wisp.AppSpec.Validate to it.
func (p *parser) variable(name string, decl map[string]any, app string) (wisp.Variable, bool) {
	var v wisp.Variable
	ok := true
	flag := func(key string) bool {
		raw, set := decl[key]
		if !set {
			return false
		}
		b, isBool := raw.(bool)
		if !isBool {
			e := p.entryOf("variables", name, key)
			p.report(p.wrongType(e.value, e.path, e.kind, e))
			ok = false
		}
		return b
	}
	v.Required = flag("required")
	v.Secret = flag("secret")
	if raw, set := decl["default"]; set {
		e := p.entryOf("variables", name, "default")
		s, isString := raw.(string)
		switch {
		case !isString:
			p.report(p.wrongType(e.value, e.path, e.kind, e))
			ok = false
		case strings.ContainsRune(s, 0):
			p.reportAt(e.value, "variables.%s.default contains a NUL character, which variables cannot hold", name)
			ok = false
		case v.Required:
			p.reportAt(e.key, "variable %q is required and has a default: a default makes it optional, so drop one of the two", name)
			ok = false
		case v.Secret:
			if app == "" {
				app = "APP"
			}
			p.reportAt(e.key, "variable %q is secret and has a default, which would be stored in the app's version in plain text: remove the default and set the value with `wisp secret set %s %s`", name, app, name)
			ok = false
		default:
			v.Default = &s
		}
	}
	return v, ok
}
