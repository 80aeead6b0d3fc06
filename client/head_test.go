package client_test

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/wisphq/wisp/client"
)

// A HEAD answer has no body, so the admin API repeats its error in
// headers, and the client reports that message rather than the status.
func TestHeadErrorComesFromHeaders(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Wisp-Error", "natsstore: stat blob: unavailable: NATS did not answer in time")
		w.Header().Set("Wisp-Error-Code", "store_unavailable")
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	_, err := client.New(srv.URL, "t").HasBlob(t.Context(), "sha256:0000000000000000000000000000000000000000000000000000000000000000")
	if err == nil || err.Error() != "natsstore: stat blob: unavailable: NATS did not answer in time" {
		t.Fatalf("HasBlob = %v; want the message of the Wisp-Error header", err)
	}
	if !errors.Is(err, client.ErrUnavailable) {
		t.Errorf("error %v does not match client.ErrUnavailable", err)
	}
}
