package client

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/wisphq/wisp"
)

// NodeInfo describes a node, as answered by GET /v1/node.
type NodeInfo struct {
	Version string `json:"version"` // Wisp version of the node
	Go      string `json:"go"`      // Go version it was built with
	Runtime string `json:"runtime"` // such as "wazero v1.12.0"
	Apps    int    `json:"apps"`    // number of deployed apps
	Ready   bool   `json:"ready"`   // every app's current version is compiled
}

// Node returns what the node says about itself.
func (c *Client) Node(ctx context.Context) (NodeInfo, error) {
	var info NodeInfo
	err := c.call(ctx, c.get("/v1/node", ""), &info)
	return info, err
}

// Nodes returns the status of every node of the fleet the node belongs
// to (only itself, if it is not in a fleet): which version of each app it
// serves.
func (c *Client) Nodes(ctx context.Context) ([]wisp.NodeStatus, error) {
	var answer struct {
		Nodes []wisp.NodeStatus `json:"nodes"`
	}
	if err := c.call(ctx, c.get("/v1/nodes", ""), &answer); err != nil {
		return nil, err
	}
	return answer.Nodes, nil
}

// Apps returns every deployed app, sorted by name, each with all its
// versions.
func (c *Client) Apps(ctx context.Context) ([]wisp.App, error) {
	var answer struct {
		Apps []wisp.App `json:"apps"`
	}
	if err := c.call(ctx, c.get("/v1/apps", ""), &answer); err != nil {
		return nil, err
	}
	return answer.Apps, nil
}

// App returns the app called name with all its versions, or an error
// matching wisp.ErrNotFound.
func (c *Client) App(ctx context.Context, name string) (wisp.App, error) {
	var app wisp.App
	err := c.call(ctx, c.get(appPath(name), ""), &app)
	return app, err
}

// AppUsage returns the named app's CPU use on the node the client talks
// to: totals since the node started, and percentiles per request over the
// latest requests. wisp.ErrNotFound if the node does not know the app.
func (c *Client) AppUsage(ctx context.Context, name string) (wisp.AppUsage, error) {
	var u wisp.AppUsage
	err := c.call(ctx, c.get(appPath(name)+"/usage", ""), &u)
	return u, err
}

// Deploy asks the node to serve spec as the new version of the app
// spec.Name, whose module and file bundles must have been uploaded with
// PutBlob. It returns once the new version serves traffic, or with an
// error matching wisp.ErrInvalid (naming what to fix), wisp.ErrNotFound (a
// blob is missing) or wisp.ErrConflict (a route is taken, or another
// deploy of the app won a race). A spec equal to the current version's is
// not stored again: the result says Unchanged.
//
// Deploy is bounded by the deploy timeout (see WithDeployTimeout), not the
// quick-call one, since the node compiles the module before answering.
func (c *Client) Deploy(ctx context.Context, spec wisp.AppSpec) (wisp.DeployResult, error) {
	return c.deploy(ctx, spec, nil)
}

// DeployIfCurrent is Deploy that succeeds only if the app's current
// version is still expect (0: the app must not exist yet), whichever node
// of a fleet takes it: of several clients that read version N and deploy
// on top of it, exactly one wins; the others get an error matching
// wisp.ErrConflict and should read the app again.
func (c *Client) DeployIfCurrent(ctx context.Context, spec wisp.AppSpec, expect int) (wisp.DeployResult, error) {
	return c.deploy(ctx, spec, http.Header{"If-Match": {fmt.Sprintf("%q", strconv.Itoa(expect))}})
}

func (c *Client) deploy(ctx context.Context, spec wisp.AppSpec, header http.Header) (wisp.DeployResult, error) {
	var result wisp.DeployResult
	if spec.Name == "" {
		return result, fmt.Errorf("%w: deploy: the spec has no name; set AppSpec.Name", wisp.ErrInvalid)
	}
	body, err := json.Marshal(spec)
	if err != nil {
		return result, fmt.Errorf("deploy %q: encode the spec: %w", spec.Name, err)
	}
	req := c.withJSON(http.MethodPut, appPath(spec.Name), body, c.deployTimeout)
	req.header = header
	err = c.call(ctx, req, &result)
	return result, err
}

// Rollback makes version serve traffic for the app called name again, or,
// when version is 0, the version before the current one. It returns the
// app as now stored, or an error matching wisp.ErrNotFound (no such app or
// version).
func (c *Client) Rollback(ctx context.Context, name string, version int) (wisp.App, error) {
	var app wisp.App
	body, _ := json.Marshal(struct {
		Version int `json:"version,omitempty"`
	}{version})
	err := c.call(ctx, c.withJSON(http.MethodPost, appPath(name)+"/rollback", body, c.requestTimeout), &app)
	return app, err
}

// Remove deletes the app called name with all its versions; it stops
// serving at once. It returns an error matching wisp.ErrNotFound if there
// is no such app.
func (c *Client) Remove(ctx context.Context, name string) error {
	return c.call(ctx, request{method: http.MethodDelete, path: appPath(name), timeout: c.requestTimeout}, nil)
}

// Health returns nil if the node's process serves requests (GET /healthz;
// no token needed).
func (c *Client) Health(ctx context.Context) error {
	return c.call(ctx, c.get("/healthz", ""), nil)
}

// Readiness is the answer of GET /readyz.
type Readiness struct {
	// Ready is true once every app's current version is compiled, and
	// false again while the node drains.
	Ready bool `json:"ready"`
	// Pending names the apps not compiled yet.
	Pending []string `json:"pending,omitempty"`
}

// Ready reports whether the node is ready to serve every app (GET /readyz;
// no token needed). A node that answers "not ready" is not an error: the
// error is for nodes that cannot be asked.
func (c *Client) Ready(ctx context.Context) (Readiness, error) {
	var r Readiness
	req := c.get("/readyz", "")
	ctx, cancel := req.withTimeout(ctx)
	defer cancel()
	resp, err := c.do(ctx, req, http.StatusServiceUnavailable)
	if err != nil {
		return r, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(resp.Body).Decode(&r); err != nil {
		if resp.StatusCode == http.StatusServiceUnavailable {
			// A 503 from something other than the node's readiness check.
			return r, &APIError{Status: resp.StatusCode, Code: "unavailable", Message: "the admin API answered " + resp.Status}
		}
		return r, fmt.Errorf("GET %s/readyz: read the answer: %w", c.base, err)
	}
	return r, nil
}

// get is a quick GET request.
func (c *Client) get(path, query string) request {
	return request{method: http.MethodGet, path: path, query: query, timeout: c.requestTimeout}
}

// withJSON is a request with a JSON body.
func (c *Client) withJSON(method, path string, body []byte, timeout time.Duration) request {
	return request{method: method, path: path, body: bytes.NewReader(body), size: int64(len(body)), ctype: "application/json", timeout: timeout}
}

// appPath is the API path of the app called name.
func appPath(name string) string { return "/v1/apps/" + url.PathEscape(name) }
