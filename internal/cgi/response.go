package cgi

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// Limits on a response's header block.
const (
	MaxHeaderBytes = 64 << 10 // bytes before the body, blank line included
	MaxHeaderLines = 100      // header lines, blank line excluded
)

// Errors of [ParseResponse]. The returned error wraps exactly one of them
// and says which line is wrong and how.
var (
	// ErrNoHeader means the output is not a CGI response at all: it is
	// empty, does not start with a header line, ends before the blank line
	// that ends the header, or has none of Content-Type, Location, Status.
	ErrNoHeader = errors.New("app output has no CGI header")
	// ErrBadHeader means a header line is malformed, is repeated where it
	// may appear once, or the header block is over its limits.
	ErrBadHeader = errors.New("app output has an invalid CGI header")
	// ErrBadStatus means the Status header is malformed, repeated, or not a
	// final status from 200 to 999.
	ErrBadStatus = errors.New("app output has an invalid CGI status")
)

// Response is a guest's CGI response.
type Response struct {
	Status int         // 200 to 999
	Header http.Header // canonical keys; never nil
	Body   []byte      // the rest of the output after the header: a sub-slice, not a copy
	// ContentLength is the body length the guest declared with a
	// Content-Length header, or -1 when it gave none or one that is not a
	// plain decimal number. It is not in Header: the gateway frames the
	// response itself and uses it only for a response it streams.
	ContentLength int64
}

// HeaderEnd returns the offset of the body in out, just past the blank line
// that ends the CGI header block, or -1 while out holds no complete header
// block. Once it is -1 for more than MaxHeaderBytes of output the header
// can no longer be valid: ParseResponse reports why.
func HeaderEnd(out []byte) int {
	_, _, bodyStart := scanHeader(out)
	return bodyStart
}

// ParseResponse parses a guest's stdout as a CGI response, following the
// rules in the package documentation. The header values and keys are
// copied out of out; Body shares its memory.
func ParseResponse(out []byte) (Response, error) {
	if len(out) == 0 {
		return Response{}, fmt.Errorf("%w: the app wrote nothing to stdout; start the output with a header such as \"Content-Type: text/plain\", then a blank line, then the body (a program that buffers stdout must flush it before it returns: C fflush(stdout), Rust std::io::stdout().flush())", ErrNoHeader)
	}
	lines, headerEnd, bodyStart := scanHeader(out)
	// One conversion for the whole block: every name and value below is a
	// substring of it, and the values share one backing array.
	block := string(out[:headerEnd])
	values := make([]string, 0, lines)
	resp := Response{Header: make(http.Header, lines), ContentLength: -1}
	var hasType, hasLocation bool
	for n := 1; block != ""; n++ {
		line, rest, _ := strings.Cut(block, "\n")
		block = rest
		line = strings.TrimSuffix(line, "\r")
		if line == "" {
			break // the blank line; scanHeader stopped the block here
		}
		if n > MaxHeaderLines {
			return Response{}, fmt.Errorf("%w: more than %d header lines; send fewer headers, or check that a blank line follows them", ErrBadHeader, MaxHeaderLines)
		}
		name, value, err := parseLine(n, line)
		if err != nil {
			return Response{}, err
		}
		key := http.CanonicalHeaderKey(name)
		switch key {
		case "Status":
			if resp.Status != 0 {
				return Response{}, fmt.Errorf("%w: line %d: Status given twice; send it once", ErrBadStatus, n)
			}
			if resp.Status, err = parseStatus(n, value); err != nil {
				return Response{}, err
			}
			continue
		case "Content-Type", "Location":
			if _, dup := resp.Header[key]; dup {
				return Response{}, fmt.Errorf("%w: line %d: %s given twice; send it once", ErrBadHeader, n, key)
			}
			if key == "Location" && value == "" {
				return Response{}, fmt.Errorf("%w: line %d: Location is empty; give the URL to redirect to", ErrBadHeader, n)
			}
			hasType = hasType || key == "Content-Type"
			hasLocation = hasLocation || key == "Location"
		}
		if key == "Content-Length" {
			resp.ContentLength = parseLength(value)
			continue
		}
		if isHopByHop(key) {
			continue // the gateway frames the response and owns the connection
		}
		if vv, ok := resp.Header[key]; ok {
			resp.Header[key] = append(vv, value) // Set-Cookie and the like
		} else {
			// A one-element window of the shared array; its capped
			// capacity makes a later append copy rather than overwrite.
			values = append(values, value)
			resp.Header[key] = values[len(values)-1 : len(values) : len(values)]
		}
	}
	switch {
	case bodyStart < 0 && len(out) > MaxHeaderBytes:
		return Response{}, fmt.Errorf("%w: no blank line in the first %d bytes; keep the header under %d KiB and end it with a blank line", ErrBadHeader, MaxHeaderBytes, MaxHeaderBytes>>10)
	case bodyStart < 0:
		return Response{}, fmt.Errorf("%w: the output ended inside the header; end the header with a blank line (\"\\n\\n\"), even when there is no body", ErrNoHeader)
	case !hasType && !hasLocation && resp.Status == 0:
		return Response{}, fmt.Errorf("%w: the header has none of Content-Type, Location and Status; send at least \"Content-Type: ...\"", ErrNoHeader)
	case resp.Status == 0 && hasLocation:
		resp.Status = http.StatusFound
	case resp.Status == 0:
		resp.Status = http.StatusOK
	}
	resp.Body = out[bodyStart:]
	return resp, nil
}

// scanHeader finds the header block of out. It returns the number of
// lines in the block, the offset where the block ends (after the blank
// line), and the offset of the body, or -1 if there is no blank line.
//
// Without a blank line, the block is what can still be checked, so that
// the first bad line is reported: all of a short output, its last
// unterminated line included; the complete lines of the first
// MaxHeaderBytes of a long one; or the first MaxHeaderLines+1 lines.
func scanHeader(out []byte) (lines, headerEnd, bodyStart int) {
	pos := 0
	for lines <= MaxHeaderLines {
		i := bytes.IndexByte(out[pos:], '\n')
		if i < 0 || pos+i >= MaxHeaderBytes {
			if len(out) <= MaxHeaderBytes {
				return lines + 1, len(out), -1
			}
			return lines, pos, -1
		}
		line := out[pos : pos+i]
		pos += i + 1
		lines++
		if len(line) == 0 || len(line) == 1 && line[0] == '\r' {
			return lines, pos, pos
		}
	}
	return lines, pos, -1
}

// parseLine splits header line n into its name and value, the value
// without surrounding blanks.
func parseLine(n int, line string) (name, value string, err error) {
	if line[0] == ' ' || line[0] == '\t' {
		return "", "", fmt.Errorf("%w: line %d %s starts with a blank; continuation lines are not supported, put each header on one line", ErrBadHeader, n, quote(line))
	}
	name, value, ok := strings.Cut(line, ":")
	if !ok {
		if n == 1 {
			return "", "", fmt.Errorf("%w: line 1 %s is not a header; start the output with headers like \"Content-Type: text/plain\" and a blank line before the body", ErrNoHeader, quote(line))
		}
		return "", "", fmt.Errorf("%w: line %d %s has no ':'; write headers as \"Name: value\" and end them with a blank line", ErrBadHeader, n, quote(line))
	}
	if i := badNameByte(name); i >= 0 {
		switch {
		case n == 1 && name != "" && name[i] != ' ' && name[i] != '\t':
			// Most likely a body written without any header: `{"a":1}`.
			return "", "", fmt.Errorf("%w: line 1 %s is not a header line; print a header and a blank line first (\"Content-Type: application/json\", then an empty line), then the body", ErrNoHeader, quote(line))
		case name == "":
			return "", "", fmt.Errorf("%w: line %d %s has no name before ':'", ErrBadHeader, n, quote(line))
		default:
			return "", "", fmt.Errorf("%w: line %d %s: the name contains %q; header names are letters, digits and !#$%%&'*+-.^_`|~, with no blank before ':'", ErrBadHeader, n, quote(line), name[i])
		}
	}
	value = strings.Trim(value, " \t")
	if i := badValueByte(value); i >= 0 {
		return "", "", fmt.Errorf("%w: line %d %s: the value contains the control character %q; remove it (line ends are \"\\n\", alone or after \"\\r\")", ErrBadHeader, n, quote(line), value[i])
	}
	return name, value, nil
}

// parseStatus parses the value of a Status header: three digits, then
// optionally a blank and a reason phrase, which is ignored.
func parseStatus(n int, v string) (int, error) {
	if len(v) < 3 || len(v) > 3 && v[3] != ' ' && v[3] != '\t' ||
		!isDigit(v[0]) || !isDigit(v[1]) || !isDigit(v[2]) {
		return 0, fmt.Errorf("%w: line %d: Status %q is not a three-digit code; write it like \"Status: 404 Not Found\"", ErrBadStatus, n, v)
	}
	code := int(v[0]-'0')*100 + int(v[1]-'0')*10 + int(v[2]-'0')
	if code < 200 {
		return 0, fmt.Errorf("%w: line %d: Status %d is not a final status; a CGI response must end with a status from 200 to 999 (1xx statuses, such as 101 Switching Protocols, are not allowed)", ErrBadStatus, n, code)
	}
	return code, nil
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// parseLength parses a Content-Length value: decimal digits only, at most
// 18 of them. Anything else is -1, "not declared".
func parseLength(v string) int64 {
	if v == "" || len(v) > 18 {
		return -1
	}
	var n int64
	for i := 0; i < len(v); i++ {
		if !isDigit(v[i]) {
			return -1
		}
		n = n*10 + int64(v[i]-'0')
	}
	return n
}

// quote quotes a line for an error message, cut to a readable length.
func quote(line string) string {
	const max = 80
	if len(line) > max {
		return fmt.Sprintf("%q...", line[:max])
	}
	return fmt.Sprintf("%q", line)
}
