package adminapi

import (
	"errors"
	"fmt"
	"io"
	"net/http"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/manifest"
)

// manifestAnswer is a parsed wisp.toml: the spec it describes, less the
// digests of the module and file bundles, which the client uploads from
// the paths given (relative to the manifest's folder, as written).
type manifestAnswer struct {
	Spec   wisp.AppSpec    `json:"spec"`
	Module string          `json:"module"`               // the module's path as written
	OCI    string          `json:"module_oci,omitempty"` // instead of Module: an OCI artifact
	Files  []manifestFiles `json:"files,omitempty"`
}

type manifestFiles struct {
	Source string `json:"source"` // as written
	Mount  string `json:"mount"`
}

// parseManifest parses a wisp.toml sent as the body with the node's own
// parser, so the dashboard deploys a dropped folder exactly as `wisp
// deploy DIR` would: the same checks and the same line-numbered errors.
// It reads no file and stores nothing.
func (a *api) parseManifest(w http.ResponseWriter, r *http.Request) error {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxSpecBytes))
	if err != nil {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return fmt.Errorf("wisp.toml is larger than %d bytes: %w", maxSpecBytes, err)
		}
		return err
	}
	m, err := manifest.Parse(data, manifest.FileName)
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid", "%v", err)
	}
	ans := manifestAnswer{
		Spec: wisp.AppSpec{
			Name: m.Name, Routes: m.Routes, Env: m.Env, Limits: m.Limits, KeyValueStores: m.KeyValueStores,
			AllowedOutboundHosts: m.AllowedOutboundHosts, Variables: m.Variables,
		},
		Module: m.ModuleRef,
		OCI:    m.ModuleOCI,
	}
	if ans.Spec.Routes == nil {
		ans.Spec.Routes = []wisp.Route{}
	}
	for _, f := range m.Files {
		ans.Files = append(ans.Files, manifestFiles{Source: f.SourceRef, Mount: f.Mount})
	}
	return writeJSON(w, http.StatusOK, ans)
}
