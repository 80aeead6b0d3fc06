package wisp_test

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/testnode"
)

// TestEgressConnectionsCloseWithTheNode: the connections an app's
// outbound requests left idle in the node's pool are closed by Node.Close,
// not 60 s later.
func TestEgressConnectionsCloseWithTheNode(t *testing.T) {
	var open atomic.Int64
	upstream := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	}))
	upstream.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			open.Add(1)
		case http.StateClosed, http.StateHijacked:
			open.Add(-1)
		}
	}
	upstream.Start()
	defer upstream.Close()
	n := servicesNode(t, wisp.Config{}, nil)
	if got := script(t, n, "send GET "+upstream.URL+"/"); !strings.HasPrefix(got, "send 0 200") {
		t.Fatalf("got %q", got)
	}
	if c := open.Load(); c != 1 {
		t.Fatalf("%d connections open to the upstream after one request, want 1 (kept idle in the pool)", c)
	}
	if err := n.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := testnode.Poll(5*time.Second, func() (bool, error) { return open.Load() == 0, nil }); err != nil {
		t.Fatalf("%d connections to the upstream still open after Node.Close: %v", open.Load(), err)
	}
}

// TestEgressRefusesTheNodesOwnListeners: Config.Outbound.Refuse reaches
// the node's outbound client, so an app allowed http://127.0.0.1:* cannot
// call an address the node refuses, and the guest learns why.
func TestEgressRefusesTheNodesOwnListeners(t *testing.T) {
	var hits atomic.Int64
	admin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { hits.Add(1) }))
	defer admin.Close()
	addr := netip.MustParseAddrPort(admin.Listener.Addr().String())
	n := servicesNode(t, wisp.Config{Outbound: wisp.OutboundConfig{
		Refuse: map[netip.AddrPort]string{addr: "the node's own admin listener"},
	}}, nil)
	got := script(t, n, "send GET "+admin.URL+"/v1/apps")
	want := "send 3: denied: GET " + admin.URL + "/v1/apps: " + addr.String() + " is the node's own admin listener, which apps may never reach\n"
	if got != want {
		t.Errorf("the guest saw\n %q\nwant\n %q", got, want)
	}
	if hits.Load() != 0 {
		t.Errorf("the refused listener served %d requests", hits.Load())
	}
}
