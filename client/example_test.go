package client_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"

	"github.com/wisphq/wisp"
	"github.com/wisphq/wisp/client"
)

// Errors of the admin API match the wisp sentinels, and print the node's
// message.
func ExampleAPIError() {
	// A stand-in for a node that has no app called "shop".
	node := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, `{"error":"app \"shop\" not found: deploy it first","code":"not_found"}`)
	}))
	defer node.Close()

	c := client.New(node.URL, "token")
	_, err := c.App(context.Background(), "shop")
	fmt.Println(errors.Is(err, wisp.ErrNotFound))
	fmt.Println(err)

	var apiErr *client.APIError
	if errors.As(err, &apiErr) {
		fmt.Println(apiErr.Status, apiErr.Code)
	}
	// Output:
	// true
	// app "shop" not found: deploy it first
	// 404 not_found
}
