package natsstore_test

import (
	"bytes"
	"testing"

	"github.com/wisphq/wisp/internal/natstest"
)

// TestOnLeader checks the leader's answer PutBlob relies on before it puts
// a blob that a replica said was missing: a put blob is there, an unknown
// digest is not.
func TestOnLeader(t *testing.T) {
	srv := natstest.Start(t)
	nc := natstest.Connect(t, srv.URL())
	s := open(t, nc, "leader")
	info, err := s.PutBlob(t.Context(), bytes.NewReader([]byte("on the leader")), 1<<20)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		digest string
		want   bool
	}{
		{"Put", info.Digest, true},
		{"Unknown", "sha256:" + string(bytes.Repeat([]byte("ab"), 32)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.OnLeader(t.Context(), tc.digest)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Fatalf("OnLeader(%s) = %v, want %v", tc.digest, got, tc.want)
			}
		})
	}
}
