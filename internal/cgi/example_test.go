package cgi_test

import (
	"errors"
	"fmt"
	"net/http/httptest"
	"strings"

	"github.com/wisphq/wisp/internal/cgi"
)

func ExampleEnv() {
	r := httptest.NewRequest("GET", "http://example.com/api/users/7?fields=name", nil)
	r.Header.Set("Accept", "application/json")
	r.Header.Set("Proxy", "http://evil.example") // httpoxy: never HTTP_PROXY

	env := cgi.Env(r, cgi.Match{Route: "/api/...", ScriptName: "/api"}, cgi.Server{})
	for _, kv := range env {
		switch k, _, _ := strings.Cut(kv, "="); k {
		case "SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "X_MATCHED_ROUTE", "HTTP_ACCEPT", "HTTP_PROXY":
			fmt.Println(kv)
		}
	}
	// Output:
	// SCRIPT_NAME=/api
	// PATH_INFO=/users/7
	// QUERY_STRING=fields=name
	// X_MATCHED_ROUTE=/api/...
	// HTTP_ACCEPT=application/json
}

func ExampleArgs() {
	r := httptest.NewRequest("GET", "/env?greet=matt&name=a%20b", nil)
	fmt.Printf("%q\n", cgi.Args(r))
	// Output:
	// ["/env" "greet=matt" "name=a%20b"]
}

func ExampleParseResponse() {
	out := []byte("Status: 404 Not Found\nContent-Type: text/plain\nContent-Length: 1\n\nno such user\n")
	resp, err := cgi.ParseResponse(out)
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.Status, resp.Header, strings.TrimSpace(string(resp.Body)))

	// A guest that forgot its header: the gateway answers 500 and logs why.
	_, err = cgi.ParseResponse([]byte("hello world\n"))
	fmt.Println(errors.Is(err, cgi.ErrNoHeader))
	fmt.Println(err)
	// Output:
	// 404 map[Content-Type:[text/plain]] no such user
	// true
	// app output has no CGI header: line 1 "hello world" is not a header; start the output with headers like "Content-Type: text/plain" and a blank line before the body
}
