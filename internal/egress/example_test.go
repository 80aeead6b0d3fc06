package egress_test

import (
	"context"
	stderrors "errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"time"

	"github.com/wisphq/wisp/internal/egress"
)

func ExampleParse() {
	_, err := egress.Parse([]string{"https://api.example.com", "http//x"})
	fmt.Println(err)

	p, _ := egress.Parse([]string{"HTTPS://API.Example.com/", "http://127.0.0.1:8000..8100"})
	fmt.Println(p)
	// Output:
	// invalid: allowed_outbound_hosts[1] "http//x": has no scheme: write it like "https://api.example.com" (or "*://api.example.com" for http and https)
	// https://api.example.com, http://127.0.0.1:8000..8100
}

func ExampleClient_Do() {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, "hello")
	}))
	defer upstream.Close()

	client := egress.New(egress.Options{})
	defer client.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second) // the app's timeout
	defer cancel()
	budget := egress.NewBudget(32, 16<<20) // per invocation

	// A loopback address is reached only if the app names it.
	for _, patterns := range [][]string{{"http://*:*"}, {"http://127.0.0.1:*"}} {
		policy, _ := egress.Parse(patterns)
		req, _ := egress.NewRequest("GET", upstream.URL+"/", nil)
		resp, err := client.Do(ctx, policy, budget, req)
		if err != nil {
			fmt.Println("error kind:", kind(err))
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		fmt.Println(resp.StatusCode, string(body))
	}
	requests, bytes := budget.Used()
	fmt.Println("used:", requests, "request,", bytes, "bytes")
	// Output:
	// error kind: denied
	// 200 hello
	// used: 1 request, 5 bytes
}

// kind names an error's kind.
func kind(err error) string {
	for _, k := range []error{egress.ErrDenied, egress.ErrInvalid, egress.ErrLimit, egress.ErrTimeout, egress.ErrUnavailable} {
		if stderrors.Is(err, k) {
			return k.Error()
		}
	}
	return "other"
}
