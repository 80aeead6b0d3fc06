package cli

import (
	"slices"
	"testing"

	"github.com/wisphq/wisp"
)

// TestRouteURLs checks the banner's URLs: one per route, but an exact path
// and the prefix beside it ("/links-go", "/links-go/...") once.
func TestRouteURLs(t *testing.T) {
	const gw = "http://127.0.0.1:8080"
	tests := []struct {
		name   string
		routes []wisp.Route
		want   []string
	}{
		{"exact", []wisp.Route{{Path: "/hello"}}, []string{gw + "/hello"}},
		{"prefix", []wisp.Route{{Path: "/echo", Prefix: true}}, []string{gw + "/echo/"}},
		{"exact and its prefix: once", []wisp.Route{{Path: "/links-go"}, {Path: "/links-go", Prefix: true}}, []string{gw + "/links-go"}},
		{"a prefix beside another path", []wisp.Route{{Path: "/a"}, {Path: "/b", Prefix: true}}, []string{gw + "/a", gw + "/b/"}},
		{"the same path on another host", []wisp.Route{{Path: "/x"}, {Host: "shop.test", Path: "/x", Prefix: true}}, []string{gw + "/x", "http://shop.test:8080/x/"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := routeURLs(gw, tt.routes); !slices.Equal(got, tt.want) {
				t.Errorf("routeURLs = %q, want %q", got, tt.want)
			}
		})
	}
}
