package client_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
)

func testApp() wisp.App {
	spec := wisp.AppSpec{
		Name:   "hello",
		Module: "sha256:" + strings.Repeat("ab", 32),
		Routes: []wisp.Route{{Path: "/hello"}},
		Limits: wisp.DefaultLimits,
	}
	return wisp.App{
		Name:     "hello",
		Current:  1,
		Versions: []wisp.Version{{Number: 1, Spec: spec, CreatedAt: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}},
		Revision: 7,
	}
}

func TestApps(t *testing.T) {
	app := testApp()
	c := newServer(t, map[string]http.HandlerFunc{
		"GET /v1/apps": func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, 200, map[string]any{"apps": []wisp.App{app}})
		},
	})
	got, err := c.Apps(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, []wisp.App{app}) {
		t.Errorf("Apps() = %+v, want %+v", got, []wisp.App{app})
	}
}

func TestDeploy(t *testing.T) {
	app := testApp()
	var gotSpec wisp.AppSpec
	var gotPath, gotType string
	c := newServer(t, map[string]http.HandlerFunc{
		"PUT /v1/apps/{name}": func(w http.ResponseWriter, r *http.Request) {
			gotPath, gotType = r.URL.Path, r.Header.Get("Content-Type")
			if err := json.NewDecoder(r.Body).Decode(&gotSpec); err != nil {
				writeError(w, 400, "invalid", err.Error())
				return
			}
			writeJSON(w, 200, wisp.DeployResult{App: app, Version: 1})
		},
	})
	spec := app.Versions[0].Spec
	spec.Env = map[string]string{"GREETING": "hi"}
	res, err := c.Deploy(t.Context(), spec)
	if err != nil {
		t.Fatal(err)
	}
	if res.Version != 1 || res.Unchanged || res.App.Name != "hello" {
		t.Errorf("Deploy() = %+v, want version 1 of hello", res)
	}
	if gotPath != "/v1/apps/hello" || gotType != "application/json" {
		t.Errorf("request = %s with Content-Type %q, want /v1/apps/hello with application/json", gotPath, gotType)
	}
	if !reflect.DeepEqual(gotSpec, spec) {
		t.Errorf("node got spec %+v, want %+v", gotSpec, spec)
	}
}

func TestDeployWithoutNameFailsLocally(t *testing.T) {
	c := client.New("http://127.0.0.1:1", testToken) // never contacted
	_, err := c.Deploy(t.Context(), wisp.AppSpec{})
	if !errors.Is(err, wisp.ErrInvalid) {
		t.Fatalf("Deploy() error = %v, want one matching wisp.ErrInvalid", err)
	}
}

func TestRollback(t *testing.T) {
	tests := []struct {
		name     string
		version  int
		wantBody string
	}{
		{"previous", 0, `{}`},
		{"given version", 3, `{"version":3}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body []byte
			c := newServer(t, map[string]http.HandlerFunc{
				"POST /v1/apps/{name}/rollback": func(w http.ResponseWriter, r *http.Request) {
					body, _ = io.ReadAll(r.Body)
					writeJSON(w, 200, testApp())
				},
			})
			app, err := c.Rollback(t.Context(), "hello", tt.version)
			if err != nil {
				t.Fatal(err)
			}
			if app.Name != "hello" {
				t.Errorf("Rollback() = %+v, want app hello", app)
			}
			if string(body) != tt.wantBody {
				t.Errorf("request body = %s, want %s", body, tt.wantBody)
			}
		})
	}
}

func TestRemove(t *testing.T) {
	removed := ""
	c := newServer(t, map[string]http.HandlerFunc{
		"DELETE /v1/apps/{name}": func(w http.ResponseWriter, r *http.Request) {
			if r.PathValue("name") != "hello" {
				writeError(w, 404, "not_found", "no app "+r.PathValue("name"))
				return
			}
			removed = r.PathValue("name")
			w.WriteHeader(http.StatusNoContent)
		},
	})
	if err := c.Remove(t.Context(), "hello"); err != nil {
		t.Fatal(err)
	}
	if removed != "hello" {
		t.Errorf("node removed %q, want hello", removed)
	}
	if err := c.Remove(t.Context(), "other"); !errors.Is(err, wisp.ErrNotFound) {
		t.Errorf("Remove(other) error = %v, want one matching wisp.ErrNotFound", err)
	}
}
