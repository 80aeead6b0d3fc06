package client

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/internal/headertext"
)

// ErrUnauthorized is matched (errors.Is) by an *APIError with code
// "unauthorized": the token was missing or wrong.
var ErrUnauthorized = errors.New("unauthorized")

// ErrUnavailable is matched (errors.Is) by an *APIError with code
// "unavailable" (the node is shutting down or overloaded) or
// "store_unavailable" (its store, a fleet's NATS, cannot be reached).
// Retrying later, or against another node, may succeed.
var ErrUnavailable = errors.New("unavailable")

// ErrNotAdminAPI is matched (errors.Is) by the error of a call answered
// 404 without the admin API's JSON error body: the address is not a Wisp
// admin API, most often because it is the node's gateway (the public
// listener) rather than its admin listener. The admin API answers every
// unknown path with a JSON error, so this never means a missing app.
var ErrNotAdminAPI = errors.New("not a Wisp admin API")

// APIError is an error answered by the admin API.
//
// errors.Is matches it against the sentinel of its code: "not_found"
// matches wisp.ErrNotFound, "conflict" wisp.ErrConflict, "invalid"
// wisp.ErrInvalid, "too_large" wisp.ErrTooLarge, "limit" wisp.ErrLimit,
// "unauthorized" ErrUnauthorized, and "unavailable" and "store_unavailable" ErrUnavailable. An answer that is not
// the admin API's (see ErrNotAdminAPI) has the code "not_admin_api".
type APIError struct {
	Status  int    // HTTP status, such as 404
	Code    string // the error body's "code", such as "not_found"; for answers without one, derived from Status
	Message string // the error body's "error": what went wrong and how to fix it
}

// codeNotAdminAPI is the Code of an APIError matching ErrNotAdminAPI. The
// admin API never sends it: the client derives it.
const codeNotAdminAPI = "not_admin_api"

// Error returns the node's message.
func (e *APIError) Error() string { return e.Message }

// Unwrap returns the sentinel matching e.Code, or nil.
func (e *APIError) Unwrap() error {
	switch e.Code {
	case "not_found":
		return wisp.ErrNotFound
	case "conflict":
		return wisp.ErrConflict
	case "invalid":
		return wisp.ErrInvalid
	case "too_large":
		return wisp.ErrTooLarge
	case "limit":
		return wisp.ErrLimit
	case "unauthorized":
		return ErrUnauthorized
	case "unavailable", "store_unavailable":
		return ErrUnavailable
	case codeNotAdminAPI:
		return ErrNotAdminAPI
	}
	return nil
}

// codeForStatus is the error code the API uses for status, for answers
// without a JSON error body (a HEAD request, or a proxy in between).
func codeForStatus(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "unauthorized"
	case http.StatusNotFound:
		return "not_found"
	case http.StatusBadRequest, http.StatusUnprocessableEntity:
		return "invalid"
	case http.StatusConflict:
		return "conflict"
	case http.StatusRequestEntityTooLarge:
		return "too_large"
	case http.StatusServiceUnavailable:
		return "unavailable"
	}
	return "internal"
}

// maxErrorBody caps how much of an error answer is read.
const maxErrorBody = 64 << 10

// readAPIError turns the non-2xx response to req into an *APIError. It
// does not close the body.
func (c *Client) readAPIError(req request, resp *http.Response) *APIError {
	e := &APIError{Status: resp.StatusCode, Code: codeForStatus(resp.StatusCode)}
	data, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body struct {
		Error string `json:"error"`
		Code  string `json:"code"`
	}
	if json.Unmarshal(data, &body) != nil || body.Error == "" {
		// A HEAD answer has no body; the API repeats it in headers, where
		// it is escaped to one line of printable ASCII (internal/headertext).
		body.Error, body.Code = headertext.Decode(resp.Header.Get("Wisp-Error")), resp.Header.Get("Wisp-Error-Code")
	}
	if body.Error != "" {
		// The node makes its messages readable; an older node, or
		// something in between, may not have: no control byte reaches the
		// terminal the CLI prints to.
		e.Message = headertext.Text(body.Error)
		if body.Code != "" {
			e.Code = body.Code
		}
		return e
	}
	// Not the API's error body. A HEAD answer has no body at all; any
	// other 404 comes from something that is not the admin API, which
	// answers unknown paths with a JSON error too.
	if resp.StatusCode == http.StatusNotFound && req.method != http.MethodHead {
		e.Code = codeNotAdminAPI
		e.Message = fmt.Sprintf("%s does not look like a Wisp admin API (it answered 404 to %s without a JSON error): is it the gateway? "+
			"The admin API listens on wisp serve --admin-listen (default 127.0.0.1:8081)", c.base, req.path)
		return e
	}
	e.Message = headertext.Text(fmt.Sprintf("the admin API answered %s", resp.Status))
	if text := firstLine(string(data)); text != "" {
		e.Message += ": " + headertext.Text(text)
	}
	return e
}

// firstLine returns the first non-blank line of s, shortened for an error
// message.
func firstLine(s string) string {
	for line := range strings.Lines(s) {
		if line = strings.TrimSpace(line); line != "" {
			if len(line) > 200 {
				line = strings.ToValidUTF8(line[:200], "") + "..."
			}
			return line
		}
	}
	return ""
}
