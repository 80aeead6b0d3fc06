package manifest

import "github.com/wisphq/wisp"

// limits converts and validates the [limits] table.
func (p *parser) limits(raw limitsEntry) (wisp.Limits, error) {
	d := wisp.DefaultLimits
	memory, err := p.size("memory", raw.Memory, d.Memory)
	if err != nil {
		return wisp.Limits{}, err
	}
	timeout, err := p.timeout(raw.Timeout)
	if err != nil {
		return wisp.Limits{}, err
	}
	maxBody, err := p.size("max_body", raw.MaxBody, d.MaxBody)
	if err != nil {
		return wisp.Limits{}, err
	}
	maxResponse, err := p.size("max_response", raw.MaxResponse, d.MaxResponse)
	if err != nil {
		return wisp.Limits{}, err
	}
	maxConcurrency, err := p.concurrency(raw.MaxConcurrency)
	if err != nil {
		return wisp.Limits{}, err
	}
	// Check each limit on its own, so that an error points at its line.
	for _, c := range []struct {
		key  string
		only wisp.Limits
	}{
		{"memory", wisp.Limits{Memory: memory}},
		{"timeout", wisp.Limits{Timeout: timeout}},
		{"max_body", wisp.Limits{MaxBody: maxBody}},
		{"max_response", wisp.Limits{MaxResponse: maxResponse}},
	} {
		if err := c.only.Validate(); err != nil {
			return wisp.Limits{}, p.wrap(p.limit(c.key).value, err)
		}
	}
	return wisp.Limits{
		Memory:         memory,
		Timeout:        timeout,
		MaxBody:        maxBody,
		MaxResponse:    maxResponse,
		MaxConcurrency: maxConcurrency,
	}, nil
}

// limit returns the index entry of limits.key, which decoding found.
func (p *parser) limit(key string) *entry {
	if e, ok := p.idx.lookup("limits", key); ok {
		return e
	}
	return &entry{path: []string{"limits", key}} // not expected: no position to give
}

// size converts a size limit: "64MiB" or a whole number of bytes. A nil v
// (not set) is 0, the default.
func (p *parser) size(key string, v any, def wisp.ByteSize) (wisp.ByteSize, error) {
	if v == nil {
		return 0, nil
	}
	e := p.limit(key)
	var size wisp.ByteSize
	switch v := v.(type) {
	case int64:
		if v < 0 {
			return 0, p.errorAt(e.value, "limits.%s is negative: use a size like %q", key, def)
		}
		size = wisp.ByteSize(v)
	case string:
		var err error
		if size, err = wisp.ParseByteSize(v); err != nil {
			return 0, p.errorAt(e.value, "limits.%s: %v", key, err)
		}
	default:
		return 0, p.wrongType(e.value, e.path, e.kind, e)
	}
	if size == 0 {
		return 0, p.errorAt(e.value, "limits.%s is 0: remove the line to use the default (%s), or set a size like %q", key, def, def)
	}
	return size, nil
}

// timeout converts the timeout limit, a duration string like "5s".
func (p *parser) timeout(v any) (wisp.Duration, error) {
	if v == nil {
		return 0, nil
	}
	e := p.limit("timeout")
	text, ok := v.(string)
	if !ok {
		return 0, p.wrongType(e.value, e.path, e.kind, e)
	}
	var d wisp.Duration
	if err := d.UnmarshalText([]byte(text)); err != nil {
		return 0, p.errorAt(e.value, "limits.timeout: %v", err)
	}
	if d == 0 {
		return 0, p.errorAt(e.value, "limits.timeout is 0: remove the line to use the default (%s), or set a duration like \"5s\"", wisp.DefaultLimits.Timeout)
	}
	return d, nil
}

// concurrency converts max_concurrency, a whole number.
func (p *parser) concurrency(v any) (int, error) {
	if v == nil {
		return 0, nil
	}
	e := p.limit("max_concurrency")
	n, ok := v.(int64)
	if !ok {
		return 0, p.wrongType(e.value, e.path, e.kind, e)
	}
	if n == 0 {
		return 0, p.errorAt(e.value, "limits.max_concurrency is 0: remove the line to use the default (%d), or set a number like 32", wisp.DefaultLimits.MaxConcurrency)
	}
	if n < 0 || n > wisp.MaxConcurrencyLimit {
		return 0, p.errorAt(e.value, "limits.max_concurrency %d is out of range: use 1 to %d", n, wisp.MaxConcurrencyLimit)
	}
	return int(n), nil
}
