package cli

import (
	"reflect"
	"strings"
	"testing"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/manifest"
)

// servicesManifest declares every platform-service key of wisp.toml.
const servicesManifest = `name = "svc"
module = "svc.wasm"
routes = ["/svc"]
key_value_stores = ["default", "shared"]
allowed_outbound_hosts = ["https://api.example.com", "http://127.0.0.1:8080"]

[variables]
greeting = { default = "hi" }
region = { required = true }
api_key = { secret = true }

[limits]
kv_ops = 4
outbound_requests = 5
outbound_bytes = "1MiB"
`

// servicesSpec is the spec servicesManifest deploys, but for its module.
func servicesSpec() wisp.AppSpec {
	greeting := "hi"
	return wisp.AppSpec{
		Name:                 "svc",
		Routes:               []wisp.Route{{Path: "/svc"}},
		KeyValueStores:       []string{"default", "shared"},
		AllowedOutboundHosts: []string{"https://api.example.com", "http://127.0.0.1:8080"},
		Variables: map[string]wisp.Variable{
			"greeting": {Default: &greeting},
			"region":   {Required: true},
			"api_key":  {Secret: true},
		},
		Limits: wisp.Limits{KVOps: 4, OutboundRequests: 5, OutboundBytes: 1 << 20},
	}
}

func TestPlanFromManifestCarriesServices(t *testing.T) {
	for _, tc := range []struct {
		name     string
		manifest string
		want     wisp.AppSpec
	}{
		{"every service key", servicesManifest, servicesSpec()},
		{
			name:     "none",
			manifest: "name = \"svc\"\nmodule = \"svc.wasm\"\nroutes = [\"/svc\"]\n",
			want:     wisp.AppSpec{Name: "svc", Routes: []wisp.Route{{Path: "/svc"}}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := manifest.Parse([]byte(tc.manifest), "wisp.toml")
			if err != nil {
				t.Fatal(err)
			}
			plan, err := planFromManifest(m)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(plan.spec, tc.want) {
				t.Errorf("plan.spec:\n got %+v\nwant %+v", plan.spec, tc.want)
			}
		})
	}
}

// TestDeployManifestServices deploys a manifest declaring every service
// to the fake node, then again with a limit flag, which must not lose
// them.
func TestDeployManifestServices(t *testing.T) {
	n := newFakeNode(t)
	t.Chdir(t.TempDir())
	writeFiles(t, "svc", map[string]string{"wisp.toml": servicesManifest, "svc.wasm": module})

	n.invoke(t, "deploy", "svc").must(t, 0)
	want := servicesSpec()
	want.Module = sha([]byte(module))
	want.Limits = want.Limits.WithDefaults()
	if got := n.apps["svc"].CurrentVersion().Spec; !reflect.DeepEqual(got, want) {
		t.Errorf("node got\n %+v\nwant %+v", got, want)
	}

	got := n.invoke(t, "deploy", "svc", "--memory", "32MiB").must(t, 0)
	if !strings.HasPrefix(got.stdout, "deployed svc version 2") {
		t.Errorf("stdout = %q", got.stdout)
	}
	want.Limits.Memory = 32 << 20
	if got := n.apps["svc"].CurrentVersion().Spec; !reflect.DeepEqual(got, want) {
		t.Errorf("with --memory, node got\n %+v\nwant %+v", got, want)
	}
	if again := n.invoke(t, "deploy", "svc", "--memory", "32MiB").must(t, 0); again.stdout != "unchanged: svc is already at version 2\n" {
		t.Errorf("the same deploy again printed %q", again.stdout)
	}
}
