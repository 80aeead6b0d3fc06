package wisp

import (
	"context"
	"log/slog"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// Log levels of wisp:logging/logging@1, numbered as wasi:logging's.
const (
	levelTrace uint32 = iota
	levelDebug
	levelInfo
	levelWarn
	levelError
	levelCritical
)

// maxLogFields is the most fields one log entry may carry (the host
// refuses more).
const maxLogFields = 64

// LogOptions configure NewLogHandler. The zero value logs records of
// level Info and above, with no context and no source.
type LogOptions struct {
	// Level is the lowest level logged; nil means slog.LevelInfo.
	Level slog.Leveler
	// Context is the component the entries come from ("db", "auth"),
	// the context of wasi:logging; "" for none.
	Context string
	// AddSource adds a field "source" with the file and line of the log
	// call.
	AddSource bool
}

// LogHandler is a slog.Handler that sends each record to the node's
// logging service: the app's log (wisp logs APP) and the node's
// structured log. A record's level maps onto the six levels of
// wasi:logging (below Debug: trace; Debug; Info; Warn; Error; Error+4
// and above: critical), its message is the entry's message, and its
// attributes become the entry's fields: groups flatten into dotted keys
// ("req.method"), values are written as text (times in RFC 3339). The
// record's time is not sent: the node stamps the entry. An entry holds at
// most 64 fields; past 63 the rest are counted in a field
// "dropped_fields". A node keeps at most 1,000 entries per request and
// cuts messages and fields past 4 KiB.
//
// Outside GOOS=wasip1 entries go to standard error as text lines. A
// LogHandler is safe for concurrent use.
type LogHandler struct {
	h       host
	opts    LogOptions
	fields  []string // key, value, ... from WithAttrs, keys already prefixed
	prefix  string   // "group.sub." for attributes added from now on
	enabled slog.Leveler
}

// NewLogHandler returns a handler sending records to the logging
// service; opts may be nil.
func NewLogHandler(opts *LogOptions) *LogHandler {
	return newLogHandler(defaultHost(), opts)
}

func newLogHandler(h host, opts *LogOptions) *LogHandler {
	l := &LogHandler{h: h}
	if opts != nil {
		l.opts = *opts
	}
	l.enabled = l.opts.Level
	if l.enabled == nil {
		l.enabled = slog.LevelInfo
	}
	return l
}

// Logger returns a slog.Logger writing through NewLogHandler(nil): Info
// and above, no context. Use it as the app's logger, or install it with
// slog.SetDefault(wisp.Logger()) so slog.Info and log.Printf go there too.
func Logger() *slog.Logger { return slog.New(NewLogHandler(nil)) }

// Enabled reports whether level is at or above the handler's level.
func (l *LogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return level >= l.enabled.Level()
}

// Handle sends one record. It fails with an *Error if the node refuses
// it (ErrLimit past 1,000 entries in one request).
func (l *LogHandler) Handle(_ context.Context, r slog.Record) error {
	fields := append([]string(nil), l.fields...)
	if l.opts.AddSource && r.PC != 0 {
		frame, _ := runtime.CallersFrames([]uintptr{r.PC}).Next()
		if frame.File != "" {
			fields = append(fields, "source", frame.File+":"+strconv.Itoa(frame.Line))
		}
	}
	r.Attrs(func(a slog.Attr) bool {
		fields = appendAttr(fields, l.prefix, a)
		return true
	})
	code := l.h.log(wispLevel(r.Level), l.opts.Context, r.Message, encodeFields(fields))
	if code != CodeOK {
		return fail(l.h, "log", code)
	}
	return nil
}

// WithAttrs returns a handler adding attrs to every record.
func (l *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	c := *l
	c.fields = append([]string(nil), l.fields...)
	for _, a := range attrs {
		c.fields = appendAttr(c.fields, l.prefix, a)
	}
	return &c
}

// WithGroup returns a handler whose later attributes are in group name:
// their keys start with "name.".
func (l *LogHandler) WithGroup(name string) slog.Handler {
	if name == "" {
		return l
	}
	c := *l
	c.prefix = l.prefix + name + "."
	return &c
}

// appendAttr appends a's key (after prefix) and value as text, or the
// attributes of a group, to fields.
func appendAttr(fields []string, prefix string, a slog.Attr) []string {
	a.Value = a.Value.Resolve()
	if a.Equal(slog.Attr{}) {
		return fields
	}
	if a.Value.Kind() == slog.KindGroup {
		sub := prefix
		if a.Key != "" {
			sub += a.Key + "."
		}
		for _, g := range a.Value.Group() {
			fields = appendAttr(fields, sub, g)
		}
		return fields
	}
	var v string
	switch a.Value.Kind() {
	case slog.KindTime:
		v = a.Value.Time().Format(time.RFC3339Nano)
	default:
		v = a.Value.String()
	}
	return append(fields, prefix+a.Key, v)
}

// encodeFields writes key, value, ... as the ABI's NUL-terminated list,
// keeping the host's limit on the number of fields. A NUL inside a key or
// value, which would split it, becomes U+FFFD.
func encodeFields(fields []string) []byte {
	if n := len(fields) / 2; n > maxLogFields {
		dropped := n - (maxLogFields - 1)
		fields = append(fields[:2*(maxLogFields-1):2*(maxLogFields-1)], "dropped_fields", strconv.Itoa(dropped))
	}
	var b []byte
	for _, f := range fields {
		b = append(b, strings.ReplaceAll(f, "\x00", "\uFFFD")...)
		b = append(b, 0)
	}
	return b
}

// wispLevel maps a slog level onto wasi:logging's.
func wispLevel(l slog.Level) uint32 {
	switch {
	case l < slog.LevelDebug:
		return levelTrace
	case l < slog.LevelInfo:
		return levelDebug
	case l < slog.LevelWarn:
		return levelInfo
	case l < slog.LevelError:
		return levelWarn
	case l < slog.LevelError+4:
		return levelError
	}
	return levelCritical
}

// levelName is the name of a wasi:logging level.
func levelName(level uint32) string {
	switch level {
	case levelTrace:
		return "TRACE"
	case levelDebug:
		return "DEBUG"
	case levelInfo:
		return "INFO"
	case levelWarn:
		return "WARN"
	case levelError:
		return "ERROR"
	case levelCritical:
		return "CRITICAL"
	}
	return "LEVEL" + strconv.FormatUint(uint64(level), 10)
}
