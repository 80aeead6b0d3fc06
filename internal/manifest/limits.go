package manifest

import (
	"strings"

	"github.com/wisphq/wisp"
)

// limits converts and validates the [limits] table, reporting each limit's
// problem at its own line.
func (p *parser) limits(doc map[string]any) wisp.Limits {
	v, ok := doc["limits"]
	if !ok {
		return wisp.Limits{}
	}
	table, ok := v.(map[string]any)
	if !ok {
		e := p.entryOf("limits")
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return wisp.Limits{}
	}
	d := wisp.DefaultLimits
	l := wisp.Limits{
		Memory:           p.size(table, "memory", d.Memory),
		Timeout:          p.duration(table, "timeout", d.Timeout, "5s", "s"),
		CPU:              p.duration(table, "cpu", d.CPU, "50ms", "ms"),
		MaxBody:          p.size(table, "max_body", d.MaxBody),
		MaxResponse:      p.size(table, "max_response", d.MaxResponse),
		MaxConcurrency:   p.count(table, "max_concurrency", d.MaxConcurrency, wisp.MaxConcurrencyLimit, 32),
		KVOps:            p.count(table, "kv_ops", d.KVOps, wisp.MaxKVOpsLimit, 100),
		OutboundRequests: p.count(table, "outbound_requests", d.OutboundRequests, wisp.MaxOutboundRequestsLimit, 10),
		OutboundBytes:    p.size(table, "outbound_bytes", d.OutboundBytes),
	}
	// Check each limit on its own, so that an error points at its line.
	for _, c := range []struct {
		key  string
		only wisp.Limits
	}{
		{"memory", wisp.Limits{Memory: l.Memory}},
		{"timeout", wisp.Limits{Timeout: l.Timeout}},
		{"cpu", wisp.Limits{CPU: l.CPU}},
		{"max_body", wisp.Limits{MaxBody: l.MaxBody}},
		{"max_response", wisp.Limits{MaxResponse: l.MaxResponse}},
		{"outbound_bytes", wisp.Limits{OutboundBytes: l.OutboundBytes}},
	} {
		if err := c.only.Validate(); err != nil {
			p.report(p.wrap(p.entryOf("limits", c.key).value, err))
		}
	}
	return l
}

// size converts a size limit: "64MiB" or a whole number of bytes. A limit
// not set, or one with a problem (reported), is 0.
func (p *parser) size(table map[string]any, key string, def wisp.ByteSize) wisp.ByteSize {
	v, ok := table[key]
	if !ok {
		return 0
	}
	e := p.entryOf("limits", key)
	var size wisp.ByteSize
	switch v := v.(type) {
	case int64:
		if v < 0 {
			p.reportAt(e.value, "limits.%s is negative: use a size like %q", key, def)
			return 0
		}
		size = wisp.ByteSize(v)
	case string:
		var err error
		if size, err = wisp.ParseByteSize(v); err != nil {
			p.reportAt(e.value, "limits.%s: %v", key, err)
			return 0
		}
	default:
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return 0
	}
	if size == 0 {
		p.reportAt(e.value, "limits.%s is 0: remove the line to use the default (%s), or set a size like %q", key, def, def)
	}
	return size
}

// duration converts a duration limit (timeout, cpu), a string like "5s";
// def is its default, example a value to suggest and unit the unit a bare
// number is taken to lack. A limit not set, or one with a problem
// (reported), is 0.
func (p *parser) duration(table map[string]any, key string, def wisp.Duration, example, unit string) wisp.Duration {
	v, ok := table[key]
	if !ok {
		return 0
	}
	e := p.entryOf("limits", key)
	var text string
	switch v := v.(type) {
	case string:
		text = v
		if isBareNumber(text) {
			p.reportAt(e.value, "limits.%s %q has no unit: write %q", key, text, strings.TrimSpace(text)+unit)
			return 0
		}
	case int64, float64:
		if isBareNumber(e.raw) { // not negative, not inf or nan
			p.reportAt(e.value, "limits.%s %s has no unit: write %q", key, e.raw, e.raw+unit)
			return 0
		}
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return 0
	default:
		p.report(p.wrongType(e.value, e.path, e.kind, e))
		return 0
	}
	var d wisp.Duration
	if err := d.UnmarshalText([]byte(text)); err != nil {
		p.reportAt(e.value, "limits.%s: %v", key, err)
		return 0
	}
	if d == 0 {
		p.reportAt(e.value, "limits.%s is 0: remove the line to use the default (%s), or set a duration like %q", key, def, example)
	}
	return d
}

// isBareNumber reports whether s (blanks around it aside) is a
// non-negative decimal number without a unit, like "5" or "1.5".
func isBareNumber(s string) bool {
	s = strings.TrimSpace(s)
	return strings.ContainsAny(s, "0123456789") && strings.Trim(s, "0123456789.") == "" && strings.Count(s, ".") <= 1
}

// count converts a limit that is a whole number from 1 to max, like
// max_concurrency; def is its default and example a value to suggest. A
// limit not set, or one with a problem (reported), is 0.
func (p *parser) count(table map[string]any, key string, def, max, example int) int {
	v, ok := table[key]
	if !ok {
		return 0
	}
	e := p.entryOf("limits", key)
	n, ok := v.(int64)
	switch {
	case !ok:
		p.report(p.wrongType(e.value, e.path, e.kind, e))
	case n == 0:
		p.reportAt(e.value, "limits.%s is 0: remove the line to use the default (%d), or set a number like %d", key, def, example)
	case n < 0 || n > int64(max):
		p.reportAt(e.value, "limits.%s %d is out of range: use 1 to %d", key, n, max)
	default:
		return int(n)
	}
	return 0
}
