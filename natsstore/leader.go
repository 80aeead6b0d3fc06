package natsstore

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// leaderMsg is the last message on a subject, as a stream's leader has it.
type leaderMsg struct {
	Seq  uint64 `json:"seq"`
	Data []byte `json:"data"`
	Hdrs []byte `json:"hdrs"`
}

// deleted reports whether m is a key-value delete or purge marker: its
// KV-Operation header says DEL or PURGE.
func (m *leaderMsg) deleted() bool {
	if len(m.Hdrs) == 0 {
		return false
	}
	h, err := nats.DecodeHeadersMsg(m.Hdrs)
	if err != nil {
		return false
	}
	op := h.Get("KV-Operation")
	return op == "DEL" || op == "PURGE"
}

// leaderGet reads the last message on subject in stream from the stream's
// leader, through JetStream's message-get API rather than the direct gets
// kv.Get and the Object Store use (which any replica that is nearly caught
// up may answer, so one lagging behind a write this node made a moment ago
// may say "not found" or give the previous revision). Reads that must see
// such writes come here: a record about to be rewritten at its revision,
// an object about to be put. It returns nil if the subject has no message.
func (s *Store) leaderGet(ctx context.Context, stream, subject string) (*leaderMsg, error) {
	req, _ := json.Marshal(map[string]string{"last_by_subj": subject})
	// A request to a stream whose leader just died gets no answer until a
	// new one is elected: each attempt ends, as jetstream's own requests
	// do, so retry asks again.
	ctx, cancel := context.WithTimeout(ctx, leaderGetTimeout)
	defer cancel()
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET."+stream, req)
	if err != nil {
		return nil, fmt.Errorf("natsstore: get the last message on %s from the stream leader: %w", subject, err)
	}
	var resp struct {
		Message *leaderMsg          `json:"message"`
		Error   *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return nil, fmt.Errorf("natsstore: decode the stream leader's answer: %w", err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return nil, nil
	case resp.Error != nil:
		return nil, resp.Error
	case resp.Message == nil:
		return nil, fmt.Errorf("natsstore: the stream leader answered without a message")
	}
	return resp.Message, nil
}

// leaderGetTimeout bounds one leaderGet request (jetstream's default API
// timeout).
const leaderGetTimeout = 5 * time.Second

// kvLeaderGet is leaderGet for key in kv.
func (s *Store) kvLeaderGet(ctx context.Context, kv jetstream.KeyValue, key string) (*leaderMsg, error) {
	return s.leaderGet(ctx, "KV_"+kv.Bucket(), "$KV."+kv.Bucket()+"."+key)
}

// validKey reports whether key is a valid key of a key-value bucket (the
// rule nats.go applies): letters, digits and -/_=. with no dot at either end.
func validKey(key string) bool {
	if key == "" || key[0] == '.' || key[len(key)-1] == '.' {
		return false
	}
	for _, c := range []byte(key) {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || bytes.IndexByte([]byte("-/_=."), c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
