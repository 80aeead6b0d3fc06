package kvtest

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wisphq/wisp"
)

var keysCases = []testCase{
	{"Empty", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		keys, more, err := s.Keys(t.Context(), "", "", 10)
		if err != nil || len(keys) != 0 || more {
			t.Fatalf("Keys of an empty store = %q, %v, %v", keys, more, err)
		}
	}},
	{"PrefixAfterLimit", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		for _, k := range []string{"user:2", "user:10", "user:1", "users", "use", "user", "admin", "zz"} {
			set(t, s, k, "v")
		}
		cases := []struct {
			name          string
			prefix, after string
			limit         int
			want          []string
			more          bool
		}{
			{"everything", "", "", 100, []string{"admin", "use", "user", "user:1", "user:10", "user:2", "users", "zz"}, false},
			{"prefix includes the key equal to it", "user", "", 100, []string{"user", "user:1", "user:10", "user:2", "users"}, false},
			{"prefix with a separator", "user:", "", 100, []string{"user:1", "user:10", "user:2"}, false},
			{"after a listed key", "user:", "user:1", 100, []string{"user:10", "user:2"}, false},
			{"after a key that does not exist", "", "user:15", 100, []string{"user:2", "users", "zz"}, false},
			{"after before the prefix", "user:", "a", 100, []string{"user:1", "user:10", "user:2"}, false},
			{"after past the prefix", "user:", "user;", 100, []string{}, false},
			{"limit cuts and says more", "", "", 3, []string{"admin", "use", "user"}, true},
			{"limit exactly the rest", "user:", "", 3, []string{"user:1", "user:10", "user:2"}, false},
			{"limit one", "user", "user:1", 1, []string{"user:10"}, true},
			{"no match", "nobody", "", 10, []string{}, false},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				keys, more, err := s.Keys(t.Context(), c.prefix, c.after, c.limit)
				if err != nil {
					t.Fatal(err)
				}
				if keys == nil {
					keys = []string{}
				}
				if !slices.Equal(keys, c.want) || more != c.more {
					t.Fatalf("Keys(%q, after %q, %d) = %q, more %v; want %q, more %v", c.prefix, c.after, c.limit, keys, more, c.want, c.more)
				}
			})
		}
	}},
	{"LimitBelowOneInvalid", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		for _, limit := range []int{0, -1} {
			_, _, err := s.Keys(t.Context(), "", "", limit)
			wantErr(t, fmt.Sprintf("Keys with limit %d", limit), err, wisp.ErrInvalid)
		}
	}},
	{"PagingThroughMany", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		const n = 1100
		want := make([]string, n)
		for i := range want {
			want[i] = fmt.Sprintf("item/%05d", i)
		}
		parallel(t, n, func(ctx context.Context, i int) error {
			_, err := s.Set(ctx, want[i], []byte("v"), time.Time{})
			return err
		})
		set(t, s, "other", "v")
		for _, limit := range []int{1000, 333} {
			if got := listAll(t, s, "item/", limit); !slices.Equal(got, want) {
				t.Fatalf("paging %d at a time listed %d keys, want the %d written (first difference near %q)", limit, len(got), n, firstDiff(got, want))
			}
		}
		keys, more, err := s.Keys(t.Context(), "", "", 1000)
		if err != nil || len(keys) != 1000 || !more {
			t.Fatalf("the first page of 1000 of %d keys = %d keys, more %v, %v", n+1, len(keys), more, err)
		}
	}},
}

// oddKeys are valid keys that trip naive encodings: separators and
// wildcards of subject-based stores, escapes, multi-byte runes, control
// characters, the longest key.
var oddKeys = []string{
	".", "..", "a.b", ".leading", "trailing.", "*", ">", "a.*.b", "a.>", "$KV", "$",
	" ", "a b", "\t", "\r\n", "\x01", "\x7f", "%41", "=", "=41", "a=b", "/", "a/b", "\\", "_", "-",
	"é", "e\u0301", "日本語", "😀", "\u2028", "\uffff", "A", "a", "Z", "z", "0", "~",
	strings.Repeat("k", wisp.MaxKVKey), strings.Repeat("é", wisp.MaxKVKey/2), strings.Repeat("😀", wisp.MaxKVKey/4),
}

var oddKeyCases = []testCase{
	{"RoundTrip", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		for _, k := range oddKeys {
			rev, err := s.Set(t.Context(), k, []byte("value of "+k), time.Time{})
			if err != nil {
				t.Fatalf("Set(%q): %v", k, err)
			}
			wantValue(t, s, k, "value of "+k, rev)
		}
		want := slices.Sorted(slices.Values(oddKeys))
		wantKeys(t, s, "", want...)
		for _, k := range oddKeys {
			if err := s.Delete(t.Context(), k); err != nil {
				t.Fatalf("Delete(%q): %v", k, err)
			}
			wantAbsent(t, s, k)
		}
		wantKeys(t, s, "")
	}},
	{"PrefixesAreBytes", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		keys := []string{"日本", "日本語", "日", "旧", "a.b", "a.bc", "a.b.c", "a", "a*", "a>"}
		for _, k := range keys {
			set(t, s, k, "v")
		}
		cases := []struct {
			name, prefix string
			want         []string
		}{
			{"a rune", "日", []string{"日", "日本", "日本語"}},
			{"half a rune", "\xe6\x97", []string{"日", "日本", "日本語", "旧"}},
			{"a dot", "a.", []string{"a.b", "a.b.c", "a.bc"}},
			{"a dot and more", "a.b", []string{"a.b", "a.b.c", "a.bc"}},
			{"a wildcard byte", "a*", []string{"a*"}},
			{"a full-wildcard byte", "a>", []string{"a>"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) { wantKeys(t, s, c.prefix, c.want...) })
		}
	}},
	{"InvalidKeysRefused", func(t *testing.T, h *harness) {
		s, _ := h.store(t, wisp.KVQuota{})
		rev := set(t, s, "valid", "v")
		invalid := map[string]string{
			"empty":             "",
			"too long":          strings.Repeat("k", wisp.MaxKVKey+1),
			"not UTF-8":         "a\xffb",
			"half a rune":       "\xe6\x97",
			"a NUL byte":        "a\x00b",
			"too long in runes": strings.Repeat("é", wisp.MaxKVKey/2) + "e",
		}
		for name, key := range invalid {
			t.Run(name, func(t *testing.T) {
				ctx := t.Context()
				_, err := s.Get(ctx, key)
				wantErr(t, "Get", err, wisp.ErrInvalid)
				_, err = s.Set(ctx, key, nil, time.Time{})
				wantErr(t, "Set", err, wisp.ErrInvalid)
				_, err = s.Create(ctx, key, nil, time.Time{})
				wantErr(t, "Create", err, wisp.ErrInvalid)
				_, err = s.Update(ctx, key, nil, time.Time{}, rev)
				wantErr(t, "Update", err, wisp.ErrInvalid)
				wantErr(t, "Delete", s.Delete(ctx, key), wisp.ErrInvalid)
			})
		}
		wantKeys(t, s, "", "valid")
	}},
}

// parallel runs f(i) for i in [0, n) on 16 goroutines and fails t with the
// first error.
func parallel(t *testing.T, n int, f func(ctx context.Context, i int) error) {
	t.Helper()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		next int
		errs []error
	)
	for range min(n, 16) {
		wg.Go(func() {
			for {
				mu.Lock()
				i := next
				next++
				mu.Unlock()
				if i >= n {
					return
				}
				if err := f(t.Context(), i); err != nil {
					mu.Lock()
					errs = append(errs, fmt.Errorf("call %d: %w", i, err))
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	if len(errs) > 0 {
		t.Fatalf("%d of %d concurrent calls failed, first: %v", len(errs), n, errs[0])
	}
}

func firstDiff(got, want []string) string {
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			return want[i]
		}
	}
	if len(got) < len(want) {
		return want[len(got)]
	}
	return got[len(want)]
}
