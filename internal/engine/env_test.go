package engine

import (
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
