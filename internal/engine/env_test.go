package engine

import (
	"bytes"
	"context"
	"slices"
	"strings"
	"testing"
)

func TestNewEnviron(t *testing.T) {
	for _, tc := range []struct {
		name       string
		base, call []string
		want       []string
	}{
		{"empty", nil, nil, nil},
		{"base only", []string{"A=1", "B=2"}, nil, []string{"A=1", "B=2"}},
		{"call only", nil, []string{"PATH_INFO=/x"}, []string{"PATH_INFO=/x"}},
		{"call overrides base", []string{"A=1", "B=2"}, []string{"B=3"}, []string{"A=1", "B=3"}},
		{"prefix is not a match", []string{"AB=1"}, []string{"A=2"}, []string{"AB=1", "A=2"}},
		{"empty value", []string{"A="}, []string{"A=x"}, []string{"A=x"}},
		{"value with equals", []string{"A=b=c"}, nil, []string{"A=b=c"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			env := newEnviron(tc.base, tc.call)
			var got []string
			if len(env.buf) > 0 {
				got = strings.Split(strings.TrimSuffix(string(env.buf), "\x00"), "\x00")
			}
			if strings.Join(got, " ") != strings.Join(tc.want, " ") || len(env.starts) != len(tc.want) {
				t.Errorf("got %q (count %d), want %q", got, len(env.starts), tc.want)
			}
		})
	}
}

// TestEnvFuncOnlyWhenRead checks that Call.EnvFunc is called once for a
// guest that reads its environment, its variables over the prepared ones,
// and never for one that does not: the gateway's CGI environment is made
// only for guests that read it.
func TestEnvFuncOnlyWhenRead(t *testing.T) {
	e := newEngine(t, "")
	for _, tc := range []struct {
		name, fixture string
		wantCalls     int
		wantOut       []string // lines the output must hold
	}{
		{"reads its environment (printenv, C)", "printenv.wasm", 1, []string{"A=from-call", "B=prepared", "C=call"}},
		{"never reads it (counter, WAT)", "counter.wasm", 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := mustPrepare(t, compile(t, e, tc.fixture, 64<<20), []string{"A=prepared", "B=prepared"}, nil)
			// Twice: a reused instance's second run lays out its own.
			for run := range 2 {
				calls := 0
				var out bytes.Buffer
				err := p.Run(context.Background(), Call{Args: []string{"x"}, Stdout: &out, EnvFunc: func() []string {
					calls++
					return []string{"A=from-call", "C=call"}
				}})
				if err != nil {
					t.Fatalf("run %d: %v", run, err)
				}
				if calls != tc.wantCalls {
					t.Errorf("run %d: EnvFunc called %d times, want %d", run, calls, tc.wantCalls)
				}
				lines := strings.Split(out.String(), "\n")
				for _, want := range tc.wantOut {
					if !slices.Contains(lines, want) {
						t.Errorf("run %d: output has no line %q:\n%s", run, want, out.String())
					}
				}
			}
		})
	}
}
