package client

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/wisphq/wisp"
)

// PutBlob uploads size bytes read from r (a module or a file bundle) and
// returns the digest and size the node stored. It streams: r is read once
// and never held in memory whole, and r is not closed. A size below zero
// means unknown (the body is sent chunked).
//
// If digest is not empty ("sha256:<hex>"), the node verifies that the
// content has it and refuses the upload (wisp.ErrInvalid) otherwise. An
// upload over the node's size limit fails with an error matching
// wisp.ErrTooLarge.
//
// The upload has no overall timeout: it is bounded by ctx only.
func (c *Client) PutBlob(ctx context.Context, r io.Reader, size int64, digest string) (wisp.BlobInfo, error) {
	var info wisp.BlobInfo
	req := request{method: http.MethodPost, path: "/v1/blobs", body: r, size: size, ctype: "application/octet-stream"}
	if digest != "" {
		if err := wisp.ValidateDigest(digest); err != nil {
			return info, fmt.Errorf("upload blob: %w", err)
		}
		req.header = http.Header{"Wisp-Digest": {digest}}
	}
	resp, err := c.do(ctx, req)
	if err != nil {
		return info, err
	}
	defer resp.Body.Close()
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxErrorBody)).Decode(&info); err != nil {
		return info, fmt.Errorf("upload blob: read the answer of %s: %w", c.base, err)
	}
	return info, nil
}

// HasBlob reports whether the node stores the blob with the given digest,
// so that an upload can be skipped.
func (c *Client) HasBlob(ctx context.Context, digest string) (bool, error) {
	if err := wisp.ValidateDigest(digest); err != nil {
		return false, fmt.Errorf("check blob: %w", err)
	}
	req := request{method: http.MethodHead, path: "/v1/blobs/" + url.PathEscape(digest), timeout: c.requestTimeout}
	ctx, cancel := req.withTimeout(ctx)
	defer cancel()
	resp, err := c.do(ctx, req, http.StatusNotFound)
	if err != nil {
		return false, err
	}
	resp.Body.Close()
	return resp.StatusCode != http.StatusNotFound, nil
}
