package client

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wisphq/wisp"
)

// Headers of the key-value endpoints (adminapi.HeaderKVRevision and
// HeaderKVExpires).
const (
	headerKVRevision = "Wisp-KV-Revision"
	headerKVExpires  = "Wisp-KV-Expires"
)

// KVStores returns the names of the node's key-value stores, sorted.
func (c *Client) KVStores(ctx context.Context) ([]string, error) {
	var answer struct {
		Stores []string `json:"stores"`
	}
	if err := c.call(ctx, c.get("/v1/kv", ""), &answer); err != nil {
		return nil, err
	}
	return answer.Stores, nil
}

// KVKeys returns up to limit (0: the node's maximum, 1000) keys of store
// that start with prefix and sort after after ("": from the first), in
// order, and whether more follow: pass the last key as after to read on.
// An unknown store is an error matching wisp.ErrNotFound.
func (c *Client) KVKeys(ctx context.Context, store, prefix, after string, limit int) (keys []string, more bool, err error) {
	q := url.Values{}
	if prefix != "" {
		q.Set("prefix", prefix)
	}
	if after != "" {
		q.Set("after", after)
	}
	if limit > 0 {
		q.Set("limit", strconv.Itoa(limit))
	}
	var answer struct {
		Keys []string `json:"keys"`
		More bool     `json:"more"`
	}
	if err := c.call(ctx, c.get(kvStorePath(store), q.Encode()), &answer); err != nil {
		return nil, false, err
	}
	return answer.Keys, answer.More, nil
}

// KVGet returns the entry of key in store: its value, revision and
// expiry. A missing store or key is an error matching wisp.ErrNotFound.
func (c *Client) KVGet(ctx context.Context, store, key string) (wisp.KVEntry, error) {
	var e wisp.KVEntry
	req := c.get(kvKeyPath(store, key), "")
	ctx, cancel := req.withTimeout(ctx)
	defer cancel()
	resp, err := c.do(ctx, req)
	if err != nil {
		return e, err
	}
	defer resp.Body.Close()
	e.Value, err = io.ReadAll(io.LimitReader(resp.Body, maxAnswerSize))
	if err != nil {
		if context.Cause(ctx) == errCallTimeout {
			return e, c.timeoutError(req)
		}
		return e, fmt.Errorf("get %q from key-value store %q: read the answer of %s: %w", key, store, c.base, err)
	}
	if e.Value == nil {
		e.Value = []byte{}
	}
	if rev := resp.Header.Get(headerKVRevision); rev != "" {
		if e.Revision, err = strconv.ParseUint(rev, 10, 64); err != nil {
			return e, fmt.Errorf("get %q from key-value store %q: the node sent revision %q: %w", key, store, rev, err)
		}
	}
	if exp := resp.Header.Get(headerKVExpires); exp != "" {
		if e.Expires, err = time.Parse(time.RFC3339Nano, exp); err != nil {
			return e, fmt.Errorf("get %q from key-value store %q: the node sent expiry %q: %w", key, store, exp, err)
		}
	}
	return e, nil
}

// KVSet stores value at key in store (made by its first write) and returns
// the new revision; ttl > 0 makes the entry expire that long from now. A
// value over the node's --kv-max-value, or a store at its quota, is an
// error matching wisp.ErrLimit.
func (c *Client) KVSet(ctx context.Context, store, key string, value []byte, ttl time.Duration) (uint64, error) {
	query := ""
	if ttl > 0 {
		query = url.Values{"ttl": {ttl.String()}}.Encode()
	}
	req := request{
		method: http.MethodPut, path: kvKeyPath(store, key), query: query, timeout: c.requestTimeout,
		body: bytes.NewReader(value), size: int64(len(value)), ctype: "application/octet-stream",
	}
	var answer struct {
		Revision uint64 `json:"revision"`
	}
	err := c.call(ctx, req, &answer)
	return answer.Revision, err
}

// KVDelete removes key from store. A missing store or key is an error
// matching wisp.ErrNotFound.
func (c *Client) KVDelete(ctx context.Context, store, key string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: kvKeyPath(store, key), timeout: c.requestTimeout}, nil)
}

// kvStorePath is the API path of a key-value store.
func kvStorePath(store string) string { return "/v1/kv/" + url.PathEscape(store) }

// kvKeyPath is the API path of a key: one escaped path segment, '/'
// included, so the server's path cleaning never changes a key such as
// "a//b" or "../x". "." and ".." are escaped too, for the same reason.
func kvKeyPath(store, key string) string {
	seg := url.PathEscape(key)
	switch key {
	case ".":
		seg = "%2E"
	case "..":
		seg = "%2E%2E"
	}
	return kvStorePath(store) + "/" + seg
}
