package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/wisphq/wisp"
)

// Variables describes the app's variables: those its current version
// declares and those with a value set, sorted by name. Secrets' values are
// never part of the answer. An app that does not exist and has no value
// set is an error matching wisp.ErrNotFound.
func (c *Client) Variables(ctx context.Context, app string) ([]wisp.VariableInfo, error) {
	var answer struct {
		Variables []wisp.VariableInfo `json:"variables"`
	}
	if err := c.call(ctx, c.get(appPath(app)+"/variables", ""), &answer); err != nil {
		return nil, err
	}
	return answer.Variables, nil
}

// SetVariable sets the value of the app's variable name; the app's next
// request on every node of the fleet reads it. With secret, the node
// stores it encrypted and never shows it again. It returns the variable as
// it now is; Declared false means the app's current version does not
// declare it (yet), so no request reads it. A secret/plain mismatch with
// the declaration is an error matching wisp.ErrInvalid.
func (c *Client) SetVariable(ctx context.Context, app, name, value string, secret bool) (wisp.VariableInfo, error) {
	var info wisp.VariableInfo
	body, err := json.Marshal(struct {
		Value  string `json:"value"`
		Secret bool   `json:"secret,omitempty"`
	}{value, secret})
	if err != nil {
		return info, err
	}
	err = c.call(ctx, c.withJSON(http.MethodPut, variablePath(app, name), body, c.requestTimeout), &info)
	return info, err
}

// DeleteVariable removes the value of the app's variable name, so requests
// read its default, if any. No value set is an error matching
// wisp.ErrNotFound; a variable the current version requires, one matching
// wisp.ErrConflict.
func (c *Client) DeleteVariable(ctx context.Context, app, name string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: variablePath(app, name), timeout: c.requestTimeout}, nil)
}

// RewrapSecrets makes the node seal every stored secret again with its
// first secret key, after a key rotation (docs/secrets.md), and returns
// how many it sealed.
func (c *Client) RewrapSecrets(ctx context.Context) (int, error) {
	var answer struct {
		Rewrapped int `json:"rewrapped"`
	}
	err := c.call(ctx, request{method: http.MethodPost, path: "/v1/secrets/rewrap", timeout: c.requestTimeout}, &answer)
	return answer.Rewrapped, err
}

// variablePath is the API path of an app's variable.
func variablePath(app, name string) string {
	return appPath(app) + "/variables/" + url.PathEscape(name)
}
