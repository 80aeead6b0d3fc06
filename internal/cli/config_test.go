package cli

import (
	"strings"
	"testing"

	"github.com/wisphq/wisp"
)

func shopVars() map[string]wisp.Variable {
	hi := "hi there"
	return map[string]wisp.Variable{
		"greeting": {Default: &hi}, "region": {}, "currency": {Required: true}, "api_key": {Secret: true},
	}
}

func TestConfigVerb(t *testing.T) {
	n := newServicesNode(t)
	got := n.run(t, "", "config", "set", "shop", "currency=EUR").must(t, 0)
	if got.stdout != "set currency of shop\n" || got.stderr != "note: shop is not deployed yet; the value waits for a version that declares currency in [variables]\n" {
		t.Errorf("set before the deploy: %+v", got)
	}
	n.deploy(t, "shop", shopVars())
	got = n.run(t, "", "config", "set", "shop", "region=eu west", "regoin=eu").must(t, 0)
	if got.stdout != "set region of shop\nset regoin of shop\n" ||
		got.stderr != "note: the current version of shop does not declare regoin, so no request reads it until a version declares it in [variables]; did you mean region? (remove this one with 'wisp config rm shop regoin')\n" {
		t.Errorf("set: %+v", got)
	}
	n.run(t, "from stdin\n", "secret", "set", "shop", "api_key").must(t, 0)
	got = n.run(t, "", "config", "ls", "shop").must(t, 0)
	want := `NAME      VALUE       FROM     NOTE
api_key   (secret)    set      secret
currency  EUR         set      required
greeting  "hi there"  default  
region    "eu west"   set      
regoin    eu          set      not declared by the current version: no request reads it
`
	if got.stdout != want {
		t.Errorf("ls:\n%s\nwant:\n%s", got.stdout, want)
	}
	n.run(t, "", "config", "rm", "shop", "region", "regoin").must(t, 0)
	if got := n.run(t, "", "config", "ls", "shop").must(t, 0); !strings.Contains(got.stdout, "region    -           none     no value: wisp config set shop region=VALUE") {
		t.Errorf("ls after rm:\n%s", got.stdout)
	}

	for _, tc := range []struct {
		name  string
		args  []string
		code  int
		error string
	}{
		{"no pair", []string{"config", "set", "shop"}, 2, "wisp config: want APP NAME=VALUE..., got 1 arguments"},
		{"not a pair", []string{"config", "set", "shop", "region"}, 2, `wisp config: "region" is not NAME=VALUE`},
		{"unknown action", []string{"config", "unset", "shop", "region"}, 2, "did you mean 'wisp config rm'?"},
		{"secret as plain", []string{"config", "set", "shop", "api_key=x"}, 1, "wisp config: variable \"api_key\" of app \"shop\" is declared secret: set it with `printf %s VALUE | wisp secret set shop api_key`"},
		{"required", []string{"config", "rm", "shop", "currency"}, 1, "is required by the current version"},
		{"unset", []string{"config", "rm", "shop", "region"}, 1, `app "shop" has no value set for variable "region"`},
		{"unknown app", []string{"config", "ls", "ghost"}, 1, `app "ghost" does not exist`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := n.run(t, "", tc.args...).must(t, tc.code)
			if !strings.Contains(got.stderr, tc.error) {
				t.Fatalf("stderr %q, want %q", got.stderr, tc.error)
			}
		})
	}
}

func TestAppShowsServices(t *testing.T) {
	n := newServicesNode(t)
	n.deploy(t, "shop", shopVars())
	got := n.run(t, "", "app", "shop").must(t, 0)
	if !strings.Contains(got.stdout, "Variables:  api_key (secret)\n            currency (required)\n            greeting (default \"hi there\")\n            region\n") {
		t.Errorf("app:\n%s", got.stdout)
	}
}
