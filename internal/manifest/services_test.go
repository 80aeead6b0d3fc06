package manifest_test

import (
	"fmt"
	"maps"
	"os"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/manifest"
)

// TestParseServices checks the ways of writing key_value_stores,
// allowed_outbound_hosts and [variables] that are accepted, and what
// they become.
func TestParseServices(t *testing.T) {
	const head = "name = \"echo\"\nmodule = \"echo.wasm\"\nroutes = [\"/echo\"]\n"
	type services struct {
		stores, hosts []string
		vars          map[string]wisp.Variable
	}
	for _, tc := range []struct {
		name string
		toml string // after head
		want services
	}{
		{
			name: "nothing declared",
			want: services{},
		},
		{
			name: "empty lists and table are none",
			toml: "key_value_stores = []\nallowed_outbound_hosts = []\n[variables]\n",
			want: services{},
		},
		{
			name: "lists keep their order",
			toml: "key_value_stores = [\"default\", \"cache-2\", \"a_b\"]\nallowed_outbound_hosts = [\"http://127.0.0.1:8080\", \"https://api.example.com\"]\n",
			want: services{stores: []string{"default", "cache-2", "a_b"}, hosts: []string{"http://127.0.0.1:8080", "https://api.example.com"}},
		},
		{
			name: "inline tables",
			toml: "[variables]\ngreeting = { default = \"hi\" }\nregion = { required = true }\napi_key = { secret = true }\n",
			want: services{vars: map[string]wisp.Variable{
				"greeting": {Default: ptr("hi")},
				"region":   {Required: true},
				"api_key":  {Secret: true},
			}},
		},
		{
			name: "sub-tables",
			toml: "[variables.greeting]\ndefault = \"hi\"\n\n[variables.region]\nrequired = true\n",
			want: services{vars: map[string]wisp.Variable{"greeting": {Default: ptr("hi")}, "region": {Required: true}}},
		},
		{
			name: "dotted keys",
			toml: "[variables]\ngreeting.default = \"hi\"\napi_key.secret = true\n",
			want: services{vars: map[string]wisp.Variable{"greeting": {Default: ptr("hi")}, "api_key": {Secret: true}}},
		},
		{
			name: "an empty declaration is optional, without a default",
			toml: "[variables]\nmotd = {}\n",
			want: services{vars: map[string]wisp.Variable{"motd": {}}},
		},
		{
			name: "false flags allow a default",
			toml: "[variables]\ngreeting = { default = \"\", required = false, secret = false }\n",
			want: services{vars: map[string]wisp.Variable{"greeting": {Default: ptr("")}}},
		},
		{
			name: "a top-level variables table",
			toml: "variables = { token = { secret = true } }\n",
			want: services{vars: map[string]wisp.Variable{"token": {Secret: true}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := manifest.Parse([]byte(head+tc.toml), "wisp.toml")
			if err != nil {
				t.Fatal(err)
			}
			got := services{m.KeyValueStores, m.AllowedOutboundHosts, m.Variables}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Parse:\n got stores %q, hosts %q, variables %s\nwant stores %q, hosts %q, variables %s",
					got.stores, got.hosts, showVars(got.vars), tc.want.stores, tc.want.hosts, showVars(tc.want.vars))
			}
		})
	}
}

// showVars prints variables with their defaults rather than pointers.
func showVars(vars map[string]wisp.Variable) string {
	var b strings.Builder
	b.WriteString("{")
	for _, name := range slices.Sorted(maps.Keys(vars)) {
		v := vars[name]
		def := "none"
		if v.Default != nil {
			def = strconv.Quote(*v.Default)
		}
		fmt.Fprintf(&b, " %s:{default %s required %t secret %t}", name, def, v.Required, v.Secret)
	}
	return b.String() + " }"
}

// TestServiceLimits checks that the services' limits come through, in
// both forms a size may take.
func TestServiceLimits(t *testing.T) {
	data := "name = \"echo\"\nmodule = \"echo.wasm\"\nroutes = [\"/echo\"]\n[limits]\nkv_ops = 1000000\noutbound_requests = 1\noutbound_bytes = 65536\n"
	m, err := manifest.Parse([]byte(data), "wisp.toml")
	if err != nil {
		t.Fatal(err)
	}
	want := wisp.Limits{KVOps: wisp.MaxKVOpsLimit, OutboundRequests: 1, OutboundBytes: 64 << 10}
	if m.Limits != want {
		t.Errorf("Limits = %+v, want %+v", m.Limits, want)
	}
}

// TestDocumentedManifestsParse parses the sample manifests of the package
// documentation and of the README, which show every key, so that they
// cannot drift from what Parse accepts.
func TestDocumentedManifestsParse(t *testing.T) {
	for _, tc := range []struct{ name, file, start, end, indent string }{
		{"package doc", "manifest.go", "//\tname = ", "\n//\n// ", "//\t"},
		{"README", "../../README.md", "```toml\nname = ", "```", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			data, err := os.ReadFile(tc.file)
			if err != nil {
				t.Fatal(err)
			}
			text := string(data)
			start := strings.Index(text, tc.start)
			if start < 0 {
				t.Fatalf("no sample starting %q in %s", tc.start, tc.file)
			}
			if tc.start[0] == '`' {
				start += len("```toml\n")
			}
			sample, _, ok := strings.Cut(text[start:], tc.end)
			if !ok {
				t.Fatalf("the sample in %s does not end with %q", tc.file, tc.end)
			}
			var lines []string
			for _, line := range strings.Split(sample, "\n") {
				line = strings.TrimPrefix(strings.TrimPrefix(line, tc.indent), "//")
				lines = append(lines, line)
			}
			m, err := manifest.Parse([]byte(strings.Join(lines, "\n")), "wisp.toml")
			if err != nil {
				t.Fatalf("the sample of %s does not parse: %v\n%s", tc.file, err, strings.Join(lines, "\n"))
			}
			if m.KeyValueStores == nil || m.AllowedOutboundHosts == nil || len(m.Variables) != 3 ||
				m.Limits.KVOps == 0 || m.Limits.OutboundRequests == 0 || m.Limits.OutboundBytes == 0 {
				t.Errorf("the sample of %s does not show every service key: %+v", tc.file, m)
			}
		})
	}
}
