package natsstore

import "testing"

func TestLeaderMsgDeleted(t *testing.T) {
	for _, tc := range []struct {
		name string
		hdrs string
		want bool
	}{
		{"NoHeaders", "", false},
		{"Delete", "NATS/1.0\r\nKV-Operation: DEL\r\n\r\n", true},
		{"Purge", "NATS/1.0\r\nKV-Operation: PURGE\r\n\r\n", true},
		{"OtherHeader", "NATS/1.0\r\nX-Note: KV-Operation: DEL\r\n\r\n", false},
		{"PrefixOfAnOperation", "NATS/1.0\r\nKV-Operation: DELAYED\r\n\r\n", false},
		{"Malformed", "garbage", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := &leaderMsg{Hdrs: []byte(tc.hdrs)}
			if got := m.deleted(); got != tc.want {
				t.Fatalf("deleted() = %v, want %v", got, tc.want)
			}
		})
	}
}
