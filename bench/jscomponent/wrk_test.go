package main

import (
	"testing"
	"time"
)

func TestParseWrk(t *testing.T) {
	tests := []struct {
		name     string
		out      string
		want     wrkRun
		wantFail bool
	}{
		{
			name: "clean run",
			out:  "  Latency Distribution\n     50%  694.00us\n     75%    1.00ms\n     99%  126.85ms\n  57600 requests in 3.00s, 8.00MB read\nRequests/sec:  19169.33\n",
			want: wrkRun{conns: 16, rps: 19169.33, p50: 694 * time.Microsecond, p99: 126850 * time.Microsecond},
		},
		{
			name: "errors counted",
			out:  "     50%    1.50s \n     99%    2.00s \n  Non-2xx or 3xx responses: 3\n  Socket errors: connect 1, read 2, write 0, timeout 4\nRequests/sec:     17.13\n",
			want: wrkRun{conns: 16, rps: 17.13, p50: 1500 * time.Millisecond, p99: 2 * time.Second, failed: 10},
		},
		{name: "not wrk", out: "command not found", wantFail: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseWrk(16, tt.out)
			if (err != nil) != tt.wantFail {
				t.Fatalf("parseWrk: err %v, want failure %v", err, tt.wantFail)
			}
			if err == nil && got != tt.want {
				t.Errorf("parseWrk = %+v, want %+v", got, tt.want)
			}
		})
	}
}
