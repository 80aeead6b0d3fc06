// Package natstest runs real NATS servers (the nats-server Go module,
// in-process) for tests: one JetStream server, or a cluster of three, each
// storing on disk under the test's temporary directory.
package natstest

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/wisphq/wisp/internal/testnode"
)

// Server is one in-process nats-server with JetStream on.
type Server struct {
	opts *server.Options
	srv  *server.Server
}

// Start starts a JetStream server on a free loopback port, storing under
// a temporary directory; it is shut down when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{opts: options(t, "")}
	s.start(t)
	t.Cleanup(s.Shutdown)
	return s
}

// StartCluster starts a cluster of n JetStream servers on loopback.
func StartCluster(t testing.TB, n int) []*Server {
	t.Helper()
	servers := make([]*Server, n)
	clusterPorts := make([]int, n)
	for i := range servers {
		servers[i] = &Server{opts: options(t, fmt.Sprintf("n%d", i+1))}
		clusterPorts[i] = freePort(t)
	}
	for i, s := range servers {
		s.opts.Cluster = server.ClusterOpts{Name: "wisp-test", Host: "127.0.0.1", Port: clusterPorts[i]}
		for j, p := range clusterPorts {
			if j != i {
				s.opts.Routes = append(s.opts.Routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
			}
		}
	}
	for _, s := range servers {
		s.start(t)
		t.Cleanup(s.Shutdown)
	}
	err := testnode.Poll(20*time.Second, func() (bool, error) {
		for _, s := range servers {
			if !s.srv.JetStreamIsCurrent() || s.srv.NumRoutes() < n-1 {
				return false, nil
			}
		}
		// The meta leader places a replicated stream only on peers whose
		// stats it has received; before that, creating a bucket fails
		// with "no suitable peers for placement, peer offline".
		for _, s := range servers {
			if s.srv.JetStreamIsLeader() {
				return len(s.srv.JetStreamClusterPeers()) == n, nil
			}
		}
		return false, nil
	})
	if err != nil {
		t.Fatalf("natstest: the cluster did not form: %v", err)
	}
	return servers
}

func options(t testing.TB, name string) *server.Options {
	return &server.Options{
		ServerName: name,
		Host:       "127.0.0.1",
		Port:       freePort(t),
		JetStream:  true,
		StoreDir:   t.TempDir(),
		SyncAlways: true,
		NoLog:      true,
		NoSigs:     true,
	}
}

func (s *Server) start(t testing.TB) {
	t.Helper()
	srv, err := server.NewServer(s.opts)
	if err != nil {
		t.Fatalf("natstest: start nats-server: %v", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		t.Fatal("natstest: nats-server did not start within 10s")
	}
	s.srv = srv
}

// URL is the server's client URL.
func (s *Server) URL() string { return fmt.Sprintf("nats://127.0.0.1:%d", s.opts.Port) }

// Shutdown stops the server (a crash, as far as clients can tell, minus
// losing unsynced data: the server fsyncs every write).
func (s *Server) Shutdown() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
}

// Restart shuts the server down and starts it again on the same port and
// storage directory.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	s.Shutdown()
	s.start(t)
}

// URLs joins the client URLs of servers, as nats.Connect takes them.
func URLs(servers []*Server) string {
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = s.URL()
	}
	return strings.Join(urls, ",")
}

// Connect opens a client connection to url that retries forever while the
// servers are away; it is closed when the test ends.
func Connect(t testing.TB, url string) *nats.Conn {
	t.Helper()
	nc, err := nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond))
	if err != nil {
		t.Fatalf("natstest: connect to %s: %v", url, err)
	}
	t.Cleanup(nc.Close)
	return nc
}

// Name is the server's name in its cluster ("n1", "n2"...), as JetStream
// reports stream leaders.
func (s *Server) Name() string { return s.opts.ServerName }
