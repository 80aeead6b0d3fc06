package wisp

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// ByteSize is a size in bytes. Its text form is a number with an optional
// unit: "65536", "64KiB", "64MiB", "1GiB" (powers of 1024) or "100kB", "5MB",
// "1GB" (powers of 1000). It marshals to JSON as such a string, and
// unmarshals from a string or a plain number of bytes.
type ByteSize int64

var byteUnits = []struct {
	suffix string
	mult   int64
}{
	// Longest suffixes first so "KiB" is not read as "B".
	{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"TiB", 1 << 40},
	{"kB", 1000}, {"KB", 1000}, {"MB", 1000 * 1000}, {"GB", 1000 * 1000 * 1000},
	{"B", 1},
}

// ParseByteSize parses the text form described on [ByteSize].
func ParseByteSize(s string) (ByteSize, error) {
	t := strings.TrimSpace(s)
	mult := int64(1)
	for _, u := range byteUnits {
		if strings.HasSuffix(t, u.suffix) {
			t, mult = strings.TrimSpace(strings.TrimSuffix(t, u.suffix)), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(t, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("size %q is not a whole non-negative number with an optional unit (like 65536, 64KiB, 64MiB or 1GiB)", s)
	}
	if n > math.MaxInt64/mult {
		return 0, fmt.Errorf("size %q is too large", s)
	}
	return ByteSize(n * mult), nil
}

// String formats the size with the largest binary unit that divides it.
func (b ByteSize) String() string {
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}} {
		if b != 0 && int64(b)%u.mult == 0 {
			return strconv.FormatInt(int64(b)/u.mult, 10) + u.suffix
		}
	}
	return strconv.FormatInt(int64(b), 10) + "B"
}

// Approx formats b rounded for people, as progress lines show sizes:
// "812B", "3.4KiB", "12MiB". String is exact instead.
func (b ByteSize) Approx() string {
	if b < 1024 {
		return strconv.FormatInt(int64(b), 10) + "B"
	}
	suffixes := []string{"KiB", "MiB", "GiB", "TiB"}
	f, i := float64(b)/1024, 0
	for f >= 1024 && i < len(suffixes)-1 {
		f, i = f/1024, i+1
	}
	if f < 10 {
		return fmt.Sprintf("%.1f%s", f, suffixes[i])
	}
	return fmt.Sprintf("%.0f%s", f, suffixes[i])
}

// MarshalText implements encoding.TextMarshaler.
func (b ByteSize) MarshalText() ([]byte, error) { return []byte(b.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (b *ByteSize) UnmarshalText(text []byte) error {
	v, err := ParseByteSize(string(text))
	if err != nil {
		return err
	}
	*b = v
	return nil
}

// UnmarshalJSON accepts a string such as "64MiB" or a number of bytes.
func (b *ByteSize) UnmarshalJSON(data []byte) error {
	var n int64
	if err := json.Unmarshal(data, &n); err == nil {
		if n < 0 {
			return fmt.Errorf("size %d is negative", n)
		}
		*b = ByteSize(n)
		return nil
	}
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return fmt.Errorf("size must be a string like \"64MiB\" or a number of bytes, not %s", data)
	}
	return b.UnmarshalText([]byte(s))
}

// Duration is a time.Duration whose text and JSON form is Go's duration
// syntax ("5s", "250ms", "1m30s").
type Duration time.Duration

// String formats the duration as time.Duration does.
func (d Duration) String() string { return time.Duration(d).String() }

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(text []byte) error {
	t := strings.TrimSpace(string(text))
	if _, err := strconv.ParseFloat(t, 64); err == nil && t != "0" {
		return fmt.Errorf("duration %q has no unit: write \"%ss\" (or ms, m)", text, t)
	}
	v, err := time.ParseDuration(t)
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q is not a non-negative duration like \"500ms\", \"5s\" or \"1m\"", text)
	}
	*d = Duration(v)
	return nil
}
