package wisp

import (
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestTransport(t *testing.T) {
	f := newFakeHost()
	f.replies["http://127.0.0.1:8000/x"] = &fakeReply{
		status:  200,
		headers: "Content-Length: 2000\nContent-Type: text/plain\nX-Two: a\nX-Two: b\n",
		body:    []byte(strings.Repeat("y", 2000)),
	}
	client := &http.Client{Transport: Transport{h: f}}
	req, _ := http.NewRequest("POST", "http://127.0.0.1:8000/x", strings.NewReader("payload"))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Add("X-Multi", "1")
	req.Header.Add("X-Multi", "2\r\n")
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil || len(body) != 2000 {
		t.Errorf("body: %d bytes, %v", len(body), err)
	}
	if err := resp.Body.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if resp.StatusCode != 200 || resp.ContentLength != 2000 || resp.Header.Get("Content-Type") != "text/plain" || len(resp.Header["X-Two"]) != 2 {
		t.Errorf("response %d, length %d, header %v", resp.StatusCode, resp.ContentLength, resp.Header)
	}
	if len(f.open) != 0 {
		t.Errorf("%d responses left open after Close", len(f.open))
	}
	want := fakeSend{method: "POST", url: "http://127.0.0.1:8000/x", headers: "Authorization: Bearer t\nX-Multi: 1\nX-Multi: 2\n", body: "payload"}
	if len(f.sends) != 1 || f.sends[0] != want {
		t.Errorf("sent %+v\nwant %+v", f.sends, want)
	}
}

func TestTransportErrors(t *testing.T) {
	f := newFakeHost()
	f.replies["http://10.0.0.1/"] = &fakeReply{deny: "denied: http://10.0.0.1/: 10.0.0.1 is a private address"}
	client := &http.Client{Transport: Transport{h: f}}
	tests := []struct {
		url     string
		want    error
		wantMsg string
	}{
		{"http://10.0.0.1/", ErrDenied, "denied: http://10.0.0.1/: 10.0.0.1 is a private address"},
		{"http://127.0.0.1:1/", ErrUnavailable, "unavailable: connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.url, func(t *testing.T) {
			_, err := client.Get(tt.url)
			var ue *url.Error
			var we *Error
			if !errors.As(err, &ue) || !errors.As(err, &we) || !errors.Is(err, tt.want) {
				t.Fatalf("Get: %v (%T); want a *url.Error around an *Error matching %v", err, err, tt.want)
			}
			if we.Message != tt.wantMsg {
				t.Errorf("Message %q, want %q", we.Message, tt.wantMsg)
			}
		})
	}
}

func TestTransportHostHeader(t *testing.T) {
	f := newFakeHost()
	f.replies["http://127.0.0.1:9/"] = &fakeReply{status: 204}
	req, _ := http.NewRequest("GET", "http://127.0.0.1:9/", nil)
	req.Host = "other.example"
	resp, err := Transport{h: f}.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if f.sends[0].headers != "Host: other.example\n" {
		t.Errorf("headers %q: the Host line is missing", f.sends[0].headers)
	}
	if n, err := resp.Body.Read(make([]byte, 1)); n != 0 || err == nil {
		t.Errorf("read after close: %d, %v", n, err)
	}
}
