package testnode

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// natsModule is the nats-server command, built at the version go.mod
// requires (the same server the natsstore tests run in-process).
const natsModule = "github.com/nats-io/nats-server/v2"

// BuildNATS compiles nats-server into dir with `go build` from the module
// at root and returns the binary's path.
func BuildNATS(ctx context.Context, root, dir string) (string, error) {
	bin := filepath.Join(dir, "nats-server")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, natsModule)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("build nats-server: %w\n%s", err, out)
	}
	return bin, nil
}

// NATSServer is one nats-server process of a cluster on loopback, with
// JetStream storing under its own directory and fsyncing every write
// (sync_interval: always, as docs/operations.md recommends).
type NATSServer struct {
	Name   string
	URL    string // client URL, "nats://127.0.0.1:PORT"
	Stderr *Buffer

	bin, conf string
	monitor   string // base URL of the HTTP monitoring endpoint
	cmd       *exec.Cmd
	done      chan struct{}
}

// portAttempts is how many times a server start is tried on fresh ports
// when one it was given turned out to be taken: a port is free when
// FreePort picks it, but another process (the test packages run in
// parallel) may bind it, or use it for an outgoing connection, before
// nats-server listens on it.
const portAttempts = 4

// portTaken reports whether err is a start that failed because a port was
// taken in the meantime (nats-server exits saying so).
func portTaken(err error) bool {
	return err != nil && strings.Contains(err.Error(), "address already in use")
}

// StartNATSCluster writes the configuration of an n-server cluster under
// dir, starts every server and waits until each reports JetStream healthy.
// A start that lost one of its ports to another process is retried on
// fresh ports. Stop them with Kill.
func StartNATSCluster(ctx context.Context, bin, dir string, n int) ([]*NATSServer, error) {
	var err error
	for attempt := 1; attempt <= portAttempts; attempt++ {
		var servers []*NATSServer
		servers, err = startNATSCluster(ctx, bin, filepath.Join(dir, fmt.Sprintf("try-%d", attempt)), n)
		if !portTaken(err) {
			return servers, err
		}
	}
	return nil, err
}

func startNATSCluster(ctx context.Context, bin, dir string, n int) ([]*NATSServer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	ports := make([][3]int, n) // client, cluster, monitor
	for i := range ports {
		for j := range ports[i] {
			p, err := FreePort()
			if err != nil {
				return nil, err
			}
			ports[i][j] = p
		}
	}
	servers := make([]*NATSServer, n)
	for i := range servers {
		var routes []string
		for j := range ports {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", ports[j][1]))
			}
		}
		name := fmt.Sprintf("nats-%d", i+1)
		conf := fmt.Sprintf(`server_name: %s
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
jetstream {
  store_dir: %q
  sync_interval: always
}
cluster {
  name: wisp-test
  listen: 127.0.0.1:%d
  routes: [%s]
}
`, name, ports[i][0], ports[i][2], filepath.Join(dir, name), ports[i][1], strings.Join(routes, ", "))
		path := filepath.Join(dir, name+".conf")
		if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
			return nil, err
		}
		servers[i] = &NATSServer{
			Name: name, URL: fmt.Sprintf("nats://127.0.0.1:%d", ports[i][0]),
			bin: bin, conf: path, monitor: fmt.Sprintf("http://127.0.0.1:%d", ports[i][2]),
		}
	}
	if err := StartNATS(ctx, servers); err != nil {
		return nil, err
	}
	return servers, nil
}

// StartNATS starts servers that are not running (all at once: a cluster
// needs a quorum to be healthy) and waits until each reports JetStream
// healthy. If one fails, it kills them all.
func StartNATS(ctx context.Context, servers []*NATSServer) error {
	for _, s := range servers {
		if err := s.launch(); err != nil {
			KillNATS(servers)
			return err
		}
	}
	for _, s := range servers {
		if err := s.WaitHealthy(ctx, time.Minute); err != nil {
			KillNATS(servers)
			return err
		}
	}
	return nil
}

// StartNATSServer starts one JetStream server (not clustered) on a free
// loopback port, storing under dir, with extra appended to its
// configuration (authorization, tls blocks...), and waits until it is
// healthy. Its URL uses scheme ("nats", or "tls" for a TLS listener). A
// start that lost its port to another process is retried on a fresh one.
func StartNATSServer(ctx context.Context, bin, dir, scheme, extra string) (*NATSServer, error) {
	var err error
	for attempt := 1; attempt <= portAttempts; attempt++ {
		var s *NATSServer
		s, err = startNATSServer(ctx, bin, dir, scheme, extra)
		if !portTaken(err) {
			return s, err
		}
	}
	return nil, err
}

func startNATSServer(ctx context.Context, bin, dir, scheme, extra string) (*NATSServer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	port, err := FreePort()
	if err != nil {
		return nil, err
	}
	monitor, err := FreePort()
	if err != nil {
		return nil, err
	}
	conf := fmt.Sprintf("listen: 127.0.0.1:%d\nhttp: 127.0.0.1:%d\njetstream {\n  store_dir: %q\n  sync_interval: always\n}\n%s\n",
		port, monitor, filepath.Join(dir, "js"), extra)
	path := filepath.Join(dir, "nats.conf")
	if err := os.WriteFile(path, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	s := &NATSServer{
		Name: "nats", URL: fmt.Sprintf("%s://127.0.0.1:%d", scheme, port),
		bin: bin, conf: path, monitor: fmt.Sprintf("http://127.0.0.1:%d", monitor),
	}
	if err := StartNATS(ctx, []*NATSServer{s}); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts a server that was killed again, on the same ports and
// storage, and waits until it reports JetStream healthy.
func (s *NATSServer) Start(ctx context.Context) error {
	if err := s.launch(); err != nil {
		return err
	}
	return s.WaitHealthy(ctx, time.Minute)
}

func (s *NATSServer) launch() error {
	s.Stderr = &Buffer{max: 1 << 20}
	s.done = make(chan struct{})
	s.cmd = exec.Command(s.bin, "-c", s.conf)
	s.cmd.Stdout, s.cmd.Stderr = s.Stderr, s.Stderr
	if err := s.cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", s.Name, err)
	}
	go func() { s.cmd.Wait(); close(s.done) }()
	return nil
}

// WaitHealthy polls the server's /healthz (which checks JetStream and its
// streams) until it answers 200.
func (s *NATSServer) WaitHealthy(ctx context.Context, timeout time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	err := Poll(timeout, func() (bool, error) {
		select {
		case <-s.done:
			return false, fmt.Errorf("%s exited", s.Name)
		default:
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
		resp, err := client.Get(s.monitor + "/healthz")
		if err != nil {
			return false, nil
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		return fmt.Errorf("%s is not healthy: %w\n%s", s.Name, err, s.Stderr)
	}
	return nil
}

// Kill stops the server with SIGKILL and waits for it to exit.
func (s *NATSServer) Kill() {
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGKILL)
	<-s.done
}

// KillNATS kills every server.
func KillNATS(servers []*NATSServer) {
	for _, s := range servers {
		if s != nil {
			s.Kill()
		}
	}
}

// NATSURLs joins the servers' client URLs for --nats.
func NATSURLs(servers []*NATSServer) string {
	urls := make([]string, len(servers))
	for i, s := range servers {
		urls[i] = s.URL
	}
	return strings.Join(urls, ",")
}

// FreePort returns a loopback TCP port nothing listens on right now.
func FreePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
