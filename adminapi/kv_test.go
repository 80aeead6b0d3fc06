package adminapi_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
)

func TestKVEndpoints(t *testing.T) {
	srv, _, _ := newServicesAPI(t, wisp.KVLimits{MaxValue: 16, Quota: wisp.KVQuota{MaxKeys: 3}})
	if a := call(t, srv, "GET", "/v1/kv", token, nil); a.status != 200 || a.body != "{\n  \"stores\": []\n}\n" {
		t.Fatalf("no stores: %d %q", a.status, a.body)
	}
	a := call(t, srv, "PUT", "/v1/kv/default/greeting?ttl=1h", token, strings.NewReader("hello"))
	if a.status != 200 || a.json["revision"] == nil {
		t.Fatalf("set: %d %s", a.status, a.body)
	}
	req := call(t, srv, "GET", "/v1/kv/default/greeting", token, nil)
	if req.status != 200 || req.body != "hello" {
		t.Fatalf("get: %d %q", req.status, req.body)
	}
	if a := call(t, srv, "GET", "/v1/kv", token, nil); !strings.Contains(a.body, `"default"`) {
		t.Fatalf("stores after a set: %s", a.body)
	}
	call(t, srv, "PUT", "/v1/kv/default/user%3A1", token, strings.NewReader("ana"))
	if a := call(t, srv, "GET", "/v1/kv/default?prefix=user:", token, nil); a.status != 200 || !strings.Contains(a.body, `"user:1"`) || strings.Contains(a.body, "greeting") {
		t.Fatalf("keys: %d %s", a.status, a.body)
	}
	if a := call(t, srv, "GET", "/v1/kv/default?limit=1", token, nil); a.json["more"] != true {
		t.Fatalf("a first page of one: %s", a.body)
	}
	if a := call(t, srv, "DELETE", "/v1/kv/default/greeting", token, nil); a.status != 204 {
		t.Fatalf("delete: %d %s", a.status, a.body)
	}

	for _, tc := range []struct {
		name, method, path, body string
		status                   int
		code, contains           string
	}{
		{"deleted key", "GET", "/v1/kv/default/greeting", "", 404, "not_found", `has no key "greeting"`},
		{"unknown store", "GET", "/v1/kv/nope/k", "", 404, "not_found", `key-value store "nope" does not exist`},
		{"keys of unknown store", "GET", "/v1/kv/nope", "", 404, "not_found", `key-value store "nope" does not exist`},
		{"delete from unknown store", "DELETE", "/v1/kv/nope/k", "", 404, "not_found", `"nope" does not exist`},
		{"reserved store", "GET", "/v1/kv/_variables/" + url.PathEscape("shop/api_key"), "", 400, "invalid", `key-value store name "_variables"`},
		{"reserved store keys", "GET", "/v1/kv/_variables", "", 400, "invalid", `key-value store name "_variables"`},
		{"write to reserved store", "PUT", "/v1/kv/_variables/shop%2Fapi_key", "x", 400, "invalid", `key-value store name "_variables"`},
		{"empty key", "PUT", "/v1/kv/default/", "x", 400, "invalid", "key is empty"},
		{"value over the limit", "PUT", "/v1/kv/default/big", strings.Repeat("x", 17), 413, "limit", "larger than this node's limit of 16B"},
		{"bad ttl", "PUT", "/v1/kv/default/k?ttl=soon", "x", 400, "invalid", `ttl "soon"`},
		{"bad limit", "GET", "/v1/kv/default?limit=x", "", 400, "invalid", "limit"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a := call(t, srv, tc.method, tc.path, token, strings.NewReader(tc.body))
			if a.status != tc.status || a.json["code"] != tc.code || !strings.Contains(a.json["error"].(string), tc.contains) {
				t.Fatalf("%d %s; want %d %s containing %q", a.status, a.body, tc.status, tc.code, tc.contains)
			}
		})
	}
	// The store's quota of 3 keys: user:1, then two more, then full.
	call(t, srv, "PUT", "/v1/kv/default/a", token, strings.NewReader("1"))
	call(t, srv, "PUT", "/v1/kv/default/b", token, strings.NewReader("2"))
	if a := call(t, srv, "PUT", "/v1/kv/default/c", token, strings.NewReader("3")); a.status != 413 || a.json["code"] != "limit" {
		t.Fatalf("a write past the store's quota: %d %s", a.status, a.body)
	}
	if a := call(t, srv, "GET", "/v1/kv", token, nil); strings.Contains(a.body, "_variables") {
		t.Fatalf("the reserved store is listed: %s", a.body)
	}
}

// Keys the server's path cleaning would change reach the store intact
// when escaped as the client does (one path segment).
func TestKVKeysThatLookLikePaths(t *testing.T) {
	srv, node, _ := newServicesAPI(t, wisp.KVLimits{})
	for _, key := range []string{"a/b", "a//b", "/lead", "trail/", "../up", "x/./y", "sp ace", "q?x=1#f", "100%", "ü/ß", "%2F"} {
		t.Run(key, func(t *testing.T) {
			path := "/v1/kv/default/" + url.PathEscape(key)
			if a := call(t, srv, "PUT", path, token, strings.NewReader("v:"+key)); a.status != 200 {
				t.Fatalf("set: %d %s", a.status, a.body)
			}
			e, err := node.KVGet(t.Context(), "default", key)
			if err != nil || string(e.Value) != "v:"+key {
				t.Fatalf("stored under another key: %v", err)
			}
			if a := call(t, srv, "GET", path, token, nil); a.status != 200 || a.body != "v:"+key {
				t.Fatalf("get: %d %q", a.status, a.body)
			}
		})
	}
}
