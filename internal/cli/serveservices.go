package cli

import (
	"fmt"
	"log/slog"
	"net"
	"net/netip"

	"github.com/wisphq/wisp"
)

// configureServices sets the platform services of cfg from serve's flags:
// the store's key-value backend, its limits, the secret keyring and
// outbound HTTP. It returns the banner's line about them.
func configureServices(cfg *wisp.Config, store wisp.Store, f serveFlags, log *slog.Logger) (string, error) {
	switch {
	case f.kvMaxValue <= 0:
		return "", usagef("--kv-max-value %s: give a positive size like 1MiB", f.kvMaxValue)
	case f.kvMaxKeys <= 0:
		return "", usagef("--kv-max-keys %d: give a positive number of keys", f.kvMaxKeys)
	case f.kvMaxBytes <= 0:
		return "", usagef("--kv-max-bytes %s: give a positive size like 256MiB", f.kvMaxBytes)
	}
	cfg.KVLimits = wisp.KVLimits{MaxValue: int64(f.kvMaxValue), Quota: wisp.KVQuota{MaxKeys: f.kvMaxKeys, MaxBytes: int64(f.kvMaxBytes)}}
	kvNote := fmt.Sprintf("key-value up to %s a value, %d keys and %s a store", f.kvMaxValue, f.kvMaxKeys, f.kvMaxBytes)
	if kv, ok := store.(interface{ KV() wisp.KV }); ok {
		cfg.KV = kv.KV()
	} else {
		log.Warn("this store has no key-value backend: apps declaring key_value_stores are refused, and variables keep their defaults")
		kvNote = "no key-value backend"
	}
	kr, keyNote, err := loadSecretKey(f.data, f.secretKeyFile, f.natsURL != "", log)
	if err != nil {
		return "", err
	}
	if kr != nil {
		cfg.Sealer = kr
	}
	cfg.Outbound.AllowPrivate = f.allowPrivateEgress
	egress := "private egress only to addresses apps name"
	if f.allowPrivateEgress {
		egress = "private egress allowed (--allow-private-egress)"
	}
	return fmt.Sprintf("%s; secrets %s; %s", kvNote, keyNote, egress), nil
}

// ownListeners is wisp.OutboundConfig.Refuse for the node's gateway and
// admin API listeners: apps may never call them (an unspecified address,
// a listener on every address, stands for the host's every address on its
// port).
func ownListeners(gateway, admin net.Listener) map[netip.AddrPort]string {
	own := map[netip.AddrPort]string{}
	for _, l := range []struct {
		ln   net.Listener
		what string
	}{{gateway, "the node's own gateway"}, {admin, "the node's own admin listener"}} {
		if a, ok := l.ln.Addr().(*net.TCPAddr); ok {
			own[a.AddrPort()] = l.what
		}
	}
	return own
}
