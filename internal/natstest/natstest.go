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
	var err error
	for attempt := 0; attempt < portAttempts; attempt++ {
		s := &Server{opts: options(t, "")}
		if err = s.start(); err == nil {
			t.Cleanup(s.Shutdown)
			return s
		}
	}
	t.Fatalf("natstest: %v", err)
	return nil
}

// portAttempts is how many times a server or cluster is started on fresh
// ports: a port is free when picked, but another process (test packages
// run in parallel) may take it before the server listens on it.
const portAttempts = 3

// StartCluster starts a cluster of n JetStream servers on loopback.
func StartCluster(t testing.TB, n int) []*Server {
	t.Helper()
	var err error
	for attempt := 0; attempt < portAttempts; attempt++ {
		var servers []*Server
		if servers, err = startCluster(t, n); err == nil {
			return servers
		}
	}
	t.Fatalf("natstest: %v", err)
	return nil
}

func startCluster(t testing.TB, n int) ([]*Server, error) {
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
	shutdown := func() {
		for _, s := range servers {
			s.Shutdown()
		}
	}
	for _, s := range servers {
		if err := s.start(); err != nil {
			shutdown()
			return nil, err
		}
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
		// Most likely a route port was taken before its server listened
		// (the in-process server only logs that, and NoLog drops it).
		shutdown()
		return nil, fmt.Errorf("the cluster did not form: %w", err)
	}
	t.Cleanup(shutdown)
	return servers, nil
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

// start starts the server and waits until it accepts clients.
func (s *Server) start() error {
	srv, err := server.NewServer(s.opts)
	if err != nil {
		return fmt.Errorf("start nats-server: %w", err)
	}
	srv.Start()
	if !srv.ReadyForConnections(10 * time.Second) {
		srv.Shutdown()
		srv.WaitForShutdown()
		return fmt.Errorf("nats-server did not accept connections on port %d within 10s", s.opts.Port)
	}
	s.srv = srv
	return nil
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
	if err := s.start(); err != nil {
		t.Fatalf("natstest: restart: %v", err)
	}
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
