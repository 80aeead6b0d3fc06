package natsstore

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go/jetstream"
)

// leaderGet reads the latest message of key in kv from the stream leader,
// through JetStream's message-get API rather than the direct gets kv.Get
// uses (which any replica that is nearly caught up may answer). It returns
// the message's sequence and data; found is false if the key has none.
func (s *Store) leaderGet(ctx context.Context, kv jetstream.KeyValue, key string) (seq uint64, data []byte, found bool, err error) {
	bucket := kv.Bucket()
	req, _ := json.Marshal(map[string]string{"last_by_subj": "$KV." + bucket + "." + key})
	msg, err := s.nc.RequestWithContext(ctx, "$JS.API.STREAM.MSG.GET.KV_"+bucket, req)
	if err != nil {
		return 0, nil, false, err
	}
	var resp struct {
		Message *struct {
			Seq  uint64 `json:"seq"`
			Data []byte `json:"data"`
		} `json:"message"`
		Error *jetstream.APIError `json:"error"`
	}
	if err := json.Unmarshal(msg.Data, &resp); err != nil {
		return 0, nil, false, fmt.Errorf("natsstore: decode the stream leader's answer: %w", err)
	}
	switch {
	case resp.Error != nil && resp.Error.ErrorCode == jetstream.JSErrCodeMessageNotFound:
		return 0, nil, false, nil
	case resp.Error != nil:
		return 0, nil, false, resp.Error
	case resp.Message == nil:
		return 0, nil, false, fmt.Errorf("natsstore: the stream leader answered without a message")
	}
	return resp.Message.Seq, resp.Message.Data, true, nil
}
