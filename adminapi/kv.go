package adminapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/wisphq/wisp"
)

// Headers of the key-value endpoints.
const (
	// HeaderKVRevision carries an entry's revision (GET) or the revision
	// a write stored (PUT).
	HeaderKVRevision = "Wisp-KV-Revision"
	// HeaderKVExpires carries when an entry expires (RFC 3339), if it
	// does.
	HeaderKVExpires = "Wisp-KV-Expires"
)

// kvStores answers GET /v1/kv: the node's key-value stores.
func (a *api) kvStores(w http.ResponseWriter, r *http.Request) error {
	stores, err := a.Node.KVStores(r.Context())
	if err != nil {
		return err
	}
	if stores == nil {
		stores = []string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"stores": stores})
}

// kvKeys answers GET /v1/kv/{store}?prefix=&after=&limit=.
func (a *api) kvKeys(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit, err := intParam(q.Get("limit"), wisp.MaxKVKeysPage)
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid", "limit: %v", err)
	}
	keys, more, err := a.Node.KVKeys(r.Context(), r.PathValue("store"), q.Get("prefix"), q.Get("after"), limit)
	if err != nil {
		return err
	}
	if keys == nil {
		keys = []string{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"keys": keys, "more": more})
}

// kvGet answers GET /v1/kv/{store}/{key...} with the raw value.
func (a *api) kvGet(w http.ResponseWriter, r *http.Request) error {
	e, err := a.Node.KVGet(r.Context(), r.PathValue("store"), r.PathValue("key"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Header().Set("Content-Length", strconv.Itoa(len(e.Value)))
	w.Header().Set(HeaderKVRevision, strconv.FormatUint(e.Revision, 10))
	if !e.Expires.IsZero() {
		w.Header().Set(HeaderKVExpires, e.Expires.UTC().Format(time.RFC3339Nano))
	}
	w.WriteHeader(http.StatusOK)
	_, err = w.Write(e.Value)
	return err
}

// kvSet answers PUT /v1/kv/{store}/{key...}: the body is the raw value;
// ?ttl=DURATION makes it expire.
func (a *api) kvSet(w http.ResponseWriter, r *http.Request) error {
	var ttl time.Duration
	if s := r.URL.Query().Get("ttl"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil || d <= 0 {
			return apiError(http.StatusBadRequest, "invalid", "ttl %q: give a positive duration like 90s or 24h", s)
		}
		ttl = d
	}
	limit := a.Node.KVLimits().MaxValue
	value, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	var maxBytes *http.MaxBytesError
	if errors.As(err, &maxBytes) {
		return apiError(http.StatusRequestEntityTooLarge, "limit", "value is larger than this node's limit of %s (wisp serve --kv-max-value); nothing was stored", wisp.ByteSize(limit))
	}
	if err != nil {
		return fmt.Errorf("read the value: %w", err)
	}
	rev, err := a.Node.KVSet(r.Context(), r.PathValue("store"), r.PathValue("key"), value, ttl)
	if err != nil {
		return err
	}
	w.Header().Set(HeaderKVRevision, strconv.FormatUint(rev, 10))
	return writeJSON(w, http.StatusOK, map[string]uint64{"revision": rev})
}

// kvDelete answers DELETE /v1/kv/{store}/{key...}.
func (a *api) kvDelete(w http.ResponseWriter, r *http.Request) error {
	if err := a.Node.KVDelete(r.Context(), r.PathValue("store"), r.PathValue("key")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
