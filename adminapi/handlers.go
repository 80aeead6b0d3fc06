package adminapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"

	"github.com/wisphq/wisp"
)

func (a *api) health(w http.ResponseWriter, r *http.Request) error {
	return writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (a *api) ready(w http.ResponseWriter, r *http.Request) error {
	ready, failed := a.Node.Ready()
	body := map[string]any{"ready": ready}
	if len(failed) > 0 {
		body["failed"] = failed
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	return writeJSON(w, status, body)
}

func (a *api) nodeInfo(w http.ResponseWriter, r *http.Request) error {
	apps, err := a.Node.Apps(r.Context())
	if err != nil {
		return err
	}
	ready, _ := a.Node.Ready()
	return writeJSON(w, http.StatusOK, map[string]any{
		"version": a.Version, "go": runtime.Version(), "apps": len(apps), "ready": ready, "stats": a.Node.Stats(),
		"budgets": a.Node.Budgets(),
	})
}

// fleetNodes lists the fleet's nodes with the version of each app they
// serve (a node outside a fleet lists itself).
func (a *api) fleetNodes(w http.ResponseWriter, r *http.Request) error {
	nodes, err := a.Node.Nodes(r.Context())
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, map[string]any{"nodes": nodes})
}

func (a *api) putBlob(w http.ResponseWriter, r *http.Request) error {
	want := r.Header.Get("Wisp-Digest")
	if want != "" {
		if err := wisp.ValidateDigest(want); err != nil {
			return fmt.Errorf("header Wisp-Digest: %w", err)
		}
	}
	// The store streams the body to a temporary file, hashing it on the
	// way, and stops reading one byte past the node's limit: an upload
	// over it costs neither memory nor disk beyond that.
	info, err := a.Node.PutBlob(r.Context(), r.Body)
	if errors.Is(err, wisp.ErrTooLarge) {
		return apiError(http.StatusRequestEntityTooLarge, "too_large",
			"upload is larger than this node's --max-module-size of %s; nothing was stored: upload a smaller module or file bundle, or start the node with a larger --max-module-size",
			wisp.ByteSize(a.Node.MaxBlobSize()))
	}
	if err != nil {
		return err
	}
	if want != "" && info.Digest != want {
		// The content is stored under its real digest; it is harmless and
		// unreferenced. Report the mismatch so the client does not deploy it.
		return apiError(http.StatusBadRequest, "invalid", "uploaded content has digest %s, not %s as the Wisp-Digest header claims: the upload was corrupted or the header is wrong", info.Digest, want)
	}
	return writeJSON(w, http.StatusCreated, info)
}

func (a *api) statBlob(w http.ResponseWriter, r *http.Request) error {
	info, err := a.Node.StatBlob(r.Context(), r.PathValue("digest"))
	if err != nil {
		return err
	}
	w.Header().Set("Content-Length", strconv.FormatInt(info.Size, 10))
	w.WriteHeader(http.StatusOK)
	return nil
}

func (a *api) listApps(w http.ResponseWriter, r *http.Request) error {
	apps, err := a.Node.Apps(r.Context())
	if err != nil {
		return err
	}
	if apps == nil {
		apps = []wisp.App{}
	}
	return writeJSON(w, http.StatusOK, map[string]any{"apps": apps})
}

func (a *api) getApp(w http.ResponseWriter, r *http.Request) error {
	app, err := a.Node.App(r.Context(), r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}

// usage answers the app's CPU use on this node (wisp.AppUsage).
func (a *api) usage(w http.ResponseWriter, r *http.Request) error {
	u, err := a.Node.AppUsage(r.PathValue("name"))
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, u)
}

func (a *api) deploy(w http.ResponseWriter, r *http.Request) error {
	var spec wisp.AppSpec
	if err := decodeJSON(w, r, &spec); err != nil {
		return err
	}
	name := r.PathValue("name")
	if spec.Name == "" {
		spec.Name = name
	}
	if spec.Name != name {
		return apiError(http.StatusBadRequest, "invalid", "spec name %q does not match the app %q in the URL", spec.Name, name)
	}
	var res wisp.DeployResult
	var err error
	if ifMatch := r.Header.Get("If-Match"); ifMatch != "" {
		expect, convErr := strconv.Atoi(strings.Trim(ifMatch, `"`))
		if convErr != nil || expect < 0 {
			return apiError(http.StatusBadRequest, "invalid", "If-Match %q: give the app version this deploy is based on, like \"3\" (\"0\": the app must not exist yet)", ifMatch)
		}
		res, err = a.Node.DeployIfCurrent(r.Context(), spec, expect)
	} else {
		res, err = a.Node.Deploy(r.Context(), spec)
	}
	if err != nil {
		return err
	}
	w.Header().Set("ETag", strconv.Quote(strconv.Itoa(res.Version)))
	return writeJSON(w, http.StatusOK, res)
}

func (a *api) rollback(w http.ResponseWriter, r *http.Request) error {
	var req struct {
		Version int `json:"version"`
	}
	if r.ContentLength != 0 {
		if err := decodeJSON(w, r, &req); err != nil {
			return err
		}
	}
	app, err := a.Node.Rollback(r.Context(), r.PathValue("name"), req.Version)
	if err != nil {
		return err
	}
	return writeJSON(w, http.StatusOK, app)
}

func (a *api) remove(w http.ResponseWriter, r *http.Request) error {
	if err := a.Node.Remove(r.Context(), r.PathValue("name")); err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// logs answers the app's recent log entries, or with follow=1 streams them
// as newline-delimited JSON until the client goes away.
func (a *api) logs(w http.ResponseWriter, r *http.Request) error {
	name := r.PathValue("name")
	q := r.URL.Query()
	tail, err := intParam(q.Get("tail"), 100)
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid", "tail: %v", err)
	}
	after, err := intParam(q.Get("after"), 0)
	if err != nil {
		return apiError(http.StatusBadRequest, "invalid", "after: %v", err)
	}
	if tail == 0 { // nothing old: only what comes next (with follow)
		after = max(after, int(a.Node.LastLogSeq(name)))
	}
	entries, more, ok := a.Node.Logs(name, uint64(after), tail)
	if tail == 0 {
		entries = nil
	}
	if !ok {
		if _, err := a.Node.App(r.Context(), name); err != nil {
			return err
		}
		return apiError(http.StatusNotFound, "not_found", "app %q has no log on this node yet", name)
	}
	if q.Get("follow") != "1" && q.Get("follow") != "true" {
		if entries == nil {
			entries = []wisp.LogEntry{}
		}
		return writeJSON(w, http.StatusOK, map[string]any{"entries": entries})
	}

	w.Header().Set("Content-Type", "application/x-ndjson")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	enc := json.NewEncoder(w)
	for {
		for _, e := range entries {
			if err := enc.Encode(e); err != nil {
				return nil // client gone
			}
			after = int(e.Seq)
		}
		if err := rc.Flush(); err != nil {
			return nil
		}
		select {
		case <-r.Context().Done():
			return nil
		case <-a.Stopping:
			return nil
		case <-more:
		}
		entries, more, ok = a.Node.Logs(name, uint64(after), 0)
		if !ok {
			return nil // the app was removed
		}
	}
}

func intParam(s string, def int) (int, error) {
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("%q is not a non-negative integer", s)
	}
	return n, nil
}
