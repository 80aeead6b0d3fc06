package cgi

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
)

func TestArgs(t *testing.T) {
	tests := []struct {
		name   string
		target string
		want   []string
	}{
		{"no_query", "/env", []string{"/env"}},
		{"root", "/", []string{"/"}},
		{"wagi_docs_example", "/env?greet=matt&foo=bar", []string{"/env", "greet=matt", "foo=bar"}},
		{"not_decoded", "/q?x=a%20b&y=%26&z=+", []string{"/q", "x=a%20b", "y=%26", "z=+"}},
		{"escaped_path", "/a%20b/c", []string{"/a%20b/c"}},
		{"empty_elements_kept", "/q?a&&b&", []string{"/q", "a", "", "b", ""}},
		{"bare_words", "/q?verbose", []string{"/q", "verbose"}},
		{"question_mark_only", "/q?", []string{"/q"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Args(newRequest("GET", tt.target, nil)); !slices.Equal(got, tt.want) {
				t.Errorf("Args(%q) = %q; want %q", tt.target, got, tt.want)
			}
		})
	}
}

func TestArgsHandBuilt(t *testing.T) {
	tests := []struct {
		name string
		url  *url.URL
		want []string
	}{
		{"nil_url", nil, []string{"/"}},
		{"empty_path", &url.URL{RawQuery: "a=1"}, []string{"/", "a=1"}},
		{"nul_escaped", &url.URL{Path: "/x\x00", RawQuery: "a=\x00"}, []string{"/x%00", "a=%00"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Args(&http.Request{URL: tt.url}); !slices.Equal(got, tt.want) {
				t.Errorf("Args = %q; want %q", got, tt.want)
			}
		})
	}
}
