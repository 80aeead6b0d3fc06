package wisp

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLogHandler(t *testing.T) {
	when := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	tests := []struct {
		name       string
		opts       *LogOptions
		log        func(l *slog.Logger)
		wantLevel  uint32
		wantCtx    string
		wantMsg    string
		wantFields []string
	}{
		{
			name:       "info with fields",
			log:        func(l *slog.Logger) { l.Info("link saved", "code", "abc", "n", 3, "ok", true) },
			wantLevel:  levelInfo,
			wantMsg:    "link saved",
			wantFields: []string{"code", "abc", "n", "3", "ok", "true"},
		},
		{
			name: "groups, with attrs, context",
			opts: &LogOptions{Context: "db", Level: slog.LevelDebug},
			log: func(l *slog.Logger) {
				l.With("app", "links").WithGroup("req").With("method", "GET").Debug("query",
					slog.Group("user", "id", 7), slog.Time("at", when), slog.Any("err", errors.New("bad")), slog.Attr{})
			},
			wantLevel:  levelDebug,
			wantCtx:    "db",
			wantMsg:    "query",
			wantFields: []string{"app", "links", "req.method", "GET", "req.user.id", "7", "req.at", "2026-01-02T03:04:05Z", "req.err", "bad"},
		},
		{
			name:       "error",
			log:        func(l *slog.Logger) { l.Error("failed", "code", "x\x00y") },
			wantLevel:  levelError,
			wantMsg:    "failed",
			wantFields: []string{"code", "x\uFFFDy"},
		},
		{
			name:      "critical and trace map from slog's range",
			opts:      &LogOptions{Level: slog.Level(-8)},
			log:       func(l *slog.Logger) { l.Log(context.Background(), slog.LevelError+4, "down") },
			wantLevel: levelCritical,
			wantMsg:   "down",
		},
		{
			name:      "warn",
			log:       func(l *slog.Logger) { l.Warn("slow") },
			wantLevel: levelWarn,
			wantMsg:   "slow",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeHost()
			tt.log(slog.New(newLogHandler(f, tt.opts)))
			if len(f.logs) != 1 {
				t.Fatalf("%d entries logged, want 1", len(f.logs))
			}
			got := f.logs[0]
			if got.level != tt.wantLevel || got.context != tt.wantCtx || got.msg != tt.wantMsg || !slices.Equal(got.fields, tt.wantFields) {
				t.Errorf("logged %+v\nwant level %d context %q msg %q fields %q", got, tt.wantLevel, tt.wantCtx, tt.wantMsg, tt.wantFields)
			}
		})
	}
}

func TestLogHandlerLevelAndSource(t *testing.T) {
	f := newFakeHost()
	l := slog.New(newLogHandler(f, &LogOptions{AddSource: true}))
	l.Debug("hidden")
	l.Info("shown")
	if len(f.logs) != 1 {
		t.Fatalf("%d entries, want 1 (Debug is below the default level)", len(f.logs))
	}
	if fs := f.logs[0].fields; len(fs) != 2 || fs[0] != "source" || !strings.Contains(fs[1], "log_test.go:") {
		t.Errorf("fields %q, want a source of log_test.go", fs)
	}
}

func TestLogHandlerKeepsTheFieldLimit(t *testing.T) {
	f := newFakeHost()
	var args []any
	for i := range 100 {
		args = append(args, "k"+strconv.Itoa(i), i)
	}
	slog.New(newLogHandler(f, nil)).Info("many", args...)
	if len(f.logs) != 1 {
		t.Fatalf("the entry was refused: %q", f.last)
	}
	fs := f.logs[0].fields
	if len(fs) != 2*maxLogFields || fs[len(fs)-2] != "dropped_fields" || fs[len(fs)-1] != "37" {
		t.Errorf("%d fields ending %q; want %d ending dropped_fields=37", len(fs)/2, fs[len(fs)-2:], maxLogFields)
	}
}

func TestLogHandlerReportsARefusal(t *testing.T) {
	f := &refusingLog{fakeHost: newFakeHost()}
	err := newLogHandler(f, nil).Handle(context.Background(), slog.NewRecord(time.Now(), slog.LevelInfo, "x", 0))
	if !errors.Is(err, ErrLimit) || !strings.Contains(err.Error(), "1,000 log entries") {
		t.Errorf("Handle: %v, want ErrLimit with the host's message", err)
	}
}

type refusingLog struct{ *fakeHost }

func (r *refusingLog) log(uint32, string, string, []byte) Code {
	return r.failWith(CodeLimit, "this request wrote 1,000 log entries, the most one request may")
}
