package gateway

import (
	"bytes"
	"errors"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
)

// TestStreamNeverStartsAFailedRequest checks that a response whose request
// already failed (its body over max_body, or too slow) is not committed
// when its window fills: the guest's write fails and the gateway is left
// to answer for the request.
func TestStreamNeverStartsAFailedRequest(t *testing.T) {
	for _, failed := range []bool{false, true} {
		rec := httptest.NewRecorder()
		s := newResponseStream(rec, http.NewResponseController(rec), false, 1<<30, make([]byte, responseBuffer))
		s.body = fakeBody{fail: failed}
		if _, err := s.Write([]byte("Content-Type: text/plain\n\n")); err != nil {
			t.Fatal(err)
		}
		_, err := s.Write(bytes.Repeat([]byte("x"), responseWindow+1))
		committed, _ := s.close()
		if committed == failed || failed != errors.Is(err, errStreamClosed) {
			t.Errorf("request failed: %v: committed %v, write error %v", failed, committed, err)
		}
		if !failed {
			continue
		}
		if _, _, err := s.response(); !errors.Is(err, errRequestFailed) {
			t.Errorf("response() error %v; want errRequestFailed", err)
		}
	}
}

// TestStreamOverrunKeepsTheResponse checks that a guest writing past its
// own Content-Length after the response started gives the client the
// complete response it was promised, not a cut one: the rest is dropped,
// the guest's write fails, and the overrun is noted for the app's log.
func TestStreamOverrunKeepsTheResponse(t *testing.T) {
	rec := httptest.NewRecorder()
	s := newResponseStream(rec, http.NewResponseController(rec), false, 1<<30, make([]byte, responseBuffer))
	const declared = responseWindow + 10
	if _, err := s.Write([]byte("Content-Type: text/plain\nContent-Length: " + strconv.Itoa(declared) + "\n\n")); err != nil {
		t.Fatal(err)
	}
	_, err := s.Write(bytes.Repeat([]byte("x"), declared+10))
	committed, incomplete := s.close()
	if !committed || incomplete != nil || !errors.Is(err, errStreamClosed) || s.overrun == nil {
		t.Fatalf("committed %v, incomplete %v, write error %v, overrun %v; want a complete response, the write failed and the overrun noted", committed, incomplete, err, s.overrun)
	}
	if rec.Body.Len() != declared {
		t.Fatalf("the client got %d bytes; want the %d declared", rec.Body.Len(), declared)
	}
}

// fakeBody is a requestBody that is never held, and failed as told.
type fakeBody struct{ fail bool }

func (b fakeBody) held() bool   { return false }
func (b fakeBody) failed() bool { return b.fail }
