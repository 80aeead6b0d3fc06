package adminapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/wisphq/wisp"
)

// FuzzDecodeSpec feeds arbitrary request bodies to the deploy endpoint's
// decoding and validation. It must never panic, every refusal must be a
// 4xx-class error the API can explain, and an accepted spec must survive a
// JSON round trip unchanged (what is stored is what was validated).
func FuzzDecodeSpec(f *testing.F) {
	for _, seed := range []string{
		`{"name":"app","module":"sha256:` + string(bytes.Repeat([]byte("a"), 64)) + `","routes":["/x","/api/...","h.example.com/..."],"env":{"K":"v"},"files":[{"mount":"/static","bundle":"sha256:` + string(bytes.Repeat([]byte("b"), 64)) + `"}],"limits":{"memory":"64MiB","timeout":"5s","max_body":1024,"max_response":"1MiB","max_concurrency":3}}`,
		`{"rotes":["/x"]}`,
		`{"limits":{"memory":"lots"}}`,
		`{"routes":["/a//b"]}`,
		`{"name":"x"} {"name":"y"}`,
		`[]`, `null`, `{"env":{"1BAD":"x"}}`, `{"limits":{"timeout":-1}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		w := httptest.NewRecorder()
		r := httptest.NewRequest("PUT", "/v1/apps/app", bytes.NewReader(body))
		var spec wisp.AppSpec
		if err := decodeJSON(w, r, &spec); err != nil {
			var he *httpError
			if !errors.As(err, &he) && !isTooLarge(err) {
				t.Fatalf("decode error %v is not an API error", err)
			}
			return
		}
		spec.Limits = spec.Limits.WithDefaults()
		if err := spec.Validate(); err != nil {
			if !errors.Is(err, wisp.ErrInvalid) {
				t.Fatalf("validation error %v does not match ErrInvalid", err)
			}
			return
		}
		data, err := json.Marshal(spec)
		if err != nil {
			t.Fatalf("marshal a valid spec: %v", err)
		}
		var again wisp.AppSpec
		if err := json.Unmarshal(data, &again); err != nil {
			t.Fatalf("a valid spec does not decode from its own JSON %s: %v", data, err)
		}
		// Empty and absent lists and maps are the same spec (omitempty).
		if len(spec.Env) == 0 {
			spec.Env = nil
		}
		if len(spec.Files) == 0 {
			spec.Files = nil
		}
		if !reflect.DeepEqual(again, spec) {
			t.Fatalf("round trip changed the spec:\n%+v\n%+v", spec, again)
		}
	})
}

func isTooLarge(err error) bool {
	var maxBytes *http.MaxBytesError
	return errors.As(err, &maxBytes)
}
