package cli

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats.go"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/boltstore"
	"github.com/wisphq/wisp/natsstore"
)

// joinTimeout bounds how long serve waits for the fleet's JetStream to
// answer at start-up.
const joinTimeout = time.Minute

// fleetFlags are serve's flags for joining a fleet through NATS.
type fleetFlags struct {
	natsURL, creds, nkey, tlsCA, tlsCert, tlsKey string
	fleet, nodeID                                string
	replicas                                     int
}

func (f *fleetFlags) define(fs *flagSet) {
	fs.StringVar(&f.natsURL, "nats", "", "`URLS` of NATS servers (comma-separated, like nats://n1:4222,nats://n2:4222; user:password@ or token@ as in any NATS client): join the fleet that shares apps through their JetStream, instead of keeping apps in DATA")
	fs.StringVar(&f.creds, "nats-creds", "", "NATS credentials `FILE` (a JWT and nkey seed, as nats --creds takes)")
	fs.StringVar(&f.nkey, "nats-nkey", "", "NATS nkey seed `FILE`")
	fs.StringVar(&f.tlsCA, "nats-tls-ca", "", "`FILE` of CA certificates to verify the NATS servers with")
	fs.StringVar(&f.tlsCert, "nats-tls-cert", "", "client certificate `FILE` for NATS (with --nats-tls-key)")
	fs.StringVar(&f.tlsKey, "nats-tls-key", "", "client key `FILE` for NATS")
	fs.StringVar(&f.fleet, "fleet", natsstore.DefaultFleet, "`NAME` of the fleet: its JetStream buckets are NAME_apps, NAME_blobs, NAME_nodes and NAME_kv_STORE for each key-value store (so NAME may not contain \"_kv_\" or end in \"_kv\")")
	fs.StringVar(&f.nodeID, "node-id", "", "`NAME` of this node in the fleet's status (default: the host name)")
	fs.IntVar(&f.replicas, "nats-replicas", 0, "replicas of the fleet's buckets, if this node creates them; 0: 3, or 1 on a NATS server that is not clustered")
}

// openStore opens the node's store: the fleet's buckets with --nats,
// otherwise the embedded one in DATA. close releases it.
//
// obs, if set, gets the state of the NATS connection.
func openStore(ctx context.Context, data string, f fleetFlags, log *slog.Logger, obs *observability) (store wisp.Store, fleet wisp.Fleet, closeStore func(), err error) {
	if f.natsURL == "" {
		if f.creds != "" || f.nkey != "" || f.tlsCA != "" || f.tlsCert != "" || f.tlsKey != "" {
			return nil, nil, nil, usagef("the --nats-* flags need --nats URLS")
		}
		bs, err := boltstore.Open(data)
		if err != nil {
			return nil, nil, nil, err
		}
		return bs, nil, func() { bs.Close() }, nil
	}
	nc, err := connectNATS(f, log)
	if err != nil {
		return nil, nil, nil, err
	}
	ctx, cancel := context.WithTimeout(ctx, joinTimeout)
	defer cancel()
	if err := os.MkdirAll(filepath.Join(data, "blobs"), 0o700); err != nil {
		nc.Close()
		return nil, nil, nil, err
	}
	// A cluster that is starting too (Kubernetes starts everything at
	// once) has no JetStream leader for a few seconds: wait for one.
	var ns *natsstore.Store
	for {
		attempt, cancel := context.WithTimeout(ctx, 5*time.Second) // a request a recovering server sits on
		ns, err = natsstore.Open(attempt, nc, natsstore.Config{
			Fleet: f.fleet, Replicas: f.replicas, CacheDir: filepath.Join(data, "blobs"), Logger: log,
		})
		cancel()
		if err == nil || !errors.Is(err, wisp.ErrUnavailable) || ctx.Err() != nil {
			break
		}
		if refused := nc.LastError(); nc.IsClosed() || isTLSFailure(refused) { // retrying will not help
			err = fmt.Errorf("NATS at %s refused the connection: %w: check the credentials (user:password@ in --nats, --nats-creds, --nats-nkey) and the --nats-tls-* flags", redactURLs(f.natsURL), refused)
			break
		}
		log.Info("waiting for NATS JetStream", "nats", redactURLs(f.natsURL), "why", joinProblem(nc, f.natsURL))
		select {
		case <-ctx.Done():
		case <-time.After(500 * time.Millisecond):
		}
	}
	if errors.Is(err, wisp.ErrUnavailable) {
		nc.Close()
		return nil, nil, nil, fmt.Errorf("join fleet %q: NATS at %s did not answer within %s (%s): check that nats-server runs there with JetStream on (nats-server -js, or a jetstream {} block) and that this machine reaches it", f.fleet, redactURLs(f.natsURL), joinTimeout, joinProblem(nc, f.natsURL))
	} else if err != nil {
		nc.Close()
		return nil, nil, nil, fmt.Errorf("join fleet %q: %w", f.fleet, err)
	}
	log.Info("joined fleet", "fleet", f.fleet, "nats", nc.ConnectedUrlRedacted(), "replicas", ns.Replicas(ctx))
	if obs != nil {
		obs.watchNATS(nc)
	}
	return ns, ns, func() { nc.Drain() }, nil
}

// connectNATS connects to --nats with the credentials and TLS flags. The
// connection reconnects forever; the node keeps serving meanwhile.
func connectNATS(f fleetFlags, log *slog.Logger) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("wisp " + f.nodeID),
		nats.MaxReconnects(-1),
		nats.RetryOnFailedConnect(true), // NATS may start after the node; the join below waits
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			log.Warn("lost NATS: serving the apps this node has; deploys fail until it is back", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("NATS is back", "server", nc.ConnectedUrlRedacted())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			// Asynchronous trouble, such as a watch's consumer lost with its
			// server; the watch starts over by itself.
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			log.Debug("NATS asynchronous error", "subject", subject, "err", err)
		}),
	}
	if f.creds != "" {
		opts = append(opts, nats.UserCredentials(f.creds))
	}
	if f.nkey != "" {
		opt, err := nats.NkeyOptionFromSeed(f.nkey)
		if err != nil {
			return nil, fmt.Errorf("--nats-nkey %s: %w", f.nkey, err)
		}
		opts = append(opts, opt)
	}
	if f.tlsCA != "" {
		opts = append(opts, nats.RootCAs(f.tlsCA))
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return nil, usagef("--nats-tls-cert and --nats-tls-key go together")
	}
	if f.tlsCert != "" {
		opts = append(opts, nats.ClientCert(f.tlsCert, f.tlsKey))
	}
	nc, err := nats.Connect(f.natsURL, opts...)
	if err != nil {
		// Not %w: a URL parse error quotes the URL, password included.
		return nil, usagef("--nats %s: %s", redactURLs(f.natsURL), redactIn(err.Error(), f.natsURL))
	}
	return nc, nil
}

// joinProblem says why joining is taking long: the connection's last
// error, or, if it never connected, what dialing the servers gives.
func joinProblem(nc *nats.Conn, urls string) string {
	if err := nc.LastError(); err != nil {
		return err.Error()
	}
	if nc.IsConnected() {
		return "connected, but JetStream does not answer: is it enabled, and does the cluster have a leader?"
	}
	var errs []string
	for _, s := range strings.Split(urls, ",") {
		u, err := url.Parse(strings.TrimSpace(s))
		if err != nil || u.Host == "" {
			errs = append(errs, fmt.Sprintf("%q is not a NATS URL like nats://host:4222", redactURLs(s)))
			continue
		}
		host := u.Host
		if u.Port() == "" {
			host = net.JoinHostPort(u.Hostname(), "4222")
		}
		c, err := net.DialTimeout("tcp", host, time.Second)
		if err != nil {
			errs = append(errs, err.Error())
			continue
		}
		c.Close()
		errs = append(errs, host+" accepts connections but the NATS handshake fails")
	}
	return strings.Join(errs, "; ")
}

// isTLSFailure reports whether err is a TLS handshake or certificate
// verification failure, which reconnecting repeats.
func isTLSFailure(err error) bool {
	var verify *tls.CertificateVerificationError
	var unknown x509.UnknownAuthorityError
	var host x509.HostnameError
	return errors.As(err, &verify) || errors.As(err, &unknown) || errors.As(err, &host)
}

// redactURLs hides the passwords and tokens in a --nats value, for
// messages.
func redactURLs(urls string) string {
	parts := strings.Split(urls, ",")
	for i, p := range parts {
		parts[i] = redactURL(strings.TrimSpace(p))
	}
	return strings.Join(parts, ",")
}

// redactURL hides the password or token of one NATS URL. NATS accepts URLs
// without a scheme ("user:pw@host:4222"); one that does not parse even so
// is masked up to its last '@'.
func redactURL(p string) string {
	schemeless := !strings.Contains(p, "://")
	raw := p
	if schemeless {
		raw = "nats://" + p
	}
	u, err := url.Parse(raw)
	if err != nil {
		if at := strings.LastIndex(p, "@"); at >= 0 {
			return "REDACTED" + p[at:]
		}
		return p
	}
	if u.User == nil {
		return p
	}
	if _, hasPassword := u.User.Password(); hasPassword {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	} else {
		u.User = url.User("REDACTED") // a token
	}
	if schemeless {
		return strings.TrimPrefix(u.String(), "nats://")
	}
	return u.String()
}

// redactIn hides the passwords of the --nats URLs wherever msg quotes them.
func redactIn(msg, urls string) string {
	for _, p := range strings.Split(urls, ",") {
		if p = strings.TrimSpace(p); p != "" {
			msg = strings.ReplaceAll(msg, p, redactURL(p))
		}
	}
	return msg
}
