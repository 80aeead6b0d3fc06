package adminapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/wisphq/wisp"
)

// SetVariableRequest is the body of PUT /v1/apps/{name}/variables/{var}.
type SetVariableRequest struct {
	Value  string `json:"value"`
	Secret bool   `json:"secret,omitempty"`
}

// listVariables answers GET /v1/apps/{name}/variables.
func (a *api) listVariables(w http.ResponseWriter, r *http.Request) error {
	vars, err := a.Node.Variables(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	if vars == nil {
		vars = []wisp.VariableInfo{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"variables": vars})
}

// setVariable answers PUT /v1/apps/{name}/variables/{var} with the
// variable as it now is (never a secret's value).
func (a *api) setVariable(w http.ResponseWriter, r *http.Request) error {
	// Not decodeJSON: a JSON syntax error quotes the body, and the body
	// may hold a secret.
	var req SetVariableRequest
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSpecBytes))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil || dec.More() {
		var maxBytes *http.MaxBytesError
		if errors.As(err, &maxBytes) {
			return fmt.Errorf("request body is larger than %d bytes: %w", maxSpecBytes, err)
		}
		return apiError(http.StatusBadRequest, "invalid", `request body is not the JSON this endpoint takes: {"value": "TEXT", "secret": true or false}`)
	}
	app, name := r.PathValue("name"), r.PathValue("var")
	if err := a.Node.SetVariable(r.Context(), app, name, req.Value, req.Secret); err != nil {
		return err
	}
	vars, err := a.Node.Variables(r.Context(), app)
	if err != nil {
		return err
	}
	for _, v := range vars {
		if v.Name == name {
			return writeJSON(w, http.StatusOK, v)
		}
	}
	// Removed again by someone else in between: report what was asked.
	return writeJSON(w, http.StatusOK, wisp.VariableInfo{Name: name, Secret: req.Secret, Source: wisp.SourceNone})
}

// deleteVariable answers DELETE /v1/apps/{name}/variables/{var}.
func (a *api) deleteVariable(w http.ResponseWriter, r *http.Request) error {
	if err := a.Node.DeleteVariable(r.Context(), r.PathValue("name"), r.PathValue("var")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// rewrapSecrets answers POST /v1/secrets/rewrap.
func (a *api) rewrapSecrets(w http.ResponseWriter, r *http.Request) error {
	n, err := a.Node.RewrapSecrets(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]int{"rewrapped": n})
}
