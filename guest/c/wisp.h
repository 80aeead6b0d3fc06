// wisp.h: the Wisp guest SDK for C (one header, one source file: wisp.c).
//
// It wraps what a Wisp app needs: the request (CGI environment, query and
// form decoding, the body), the response (built in memory and written in
// one go, so it cannot be left unflushed), key-value stores, variables and
// secrets, logging with fields and outbound HTTP. The host functions it
// calls are those of docs/guest-abi.md; this file needs nothing but
// wasi-libc.
//
// A whole app:
//
//	#include "wisp.h"
//
//	static void handle(void) {
//		wisp_set_header("Content-Type", "text/plain; charset=utf-8");
//		wisp_printf("Hello from %s\n", wisp_path());
//	}
//
//	WISP_HANDLER(handle) // a reactor; WISP_MAIN(handle) for a command
//
// Build a reactor (Wisp pre-initializes it at deploy; docs/reactors.md):
//
//	clang --target=wasm32-wasi -mexec-model=reactor -O2 -Wl,--strip-all \
//		-o app.wasm app.c wisp.c
//
// or a command (drop -mexec-model=reactor and use WISP_MAIN).
//
// # Errors
//
// Every function that can fail returns an int status: WISP_OK (0), one of
// the host's codes (WISP_NOT_FOUND ... WISP_CONFLICT, as in
// docs/guest-abi.md) or one of the SDK's own (negative: WISP_ERR_NOMEM,
// WISP_ERR_TOO_LARGE, WISP_ERR_IO). wisp_errmsg() then says what went wrong
// and what to fix: the host's message (from wisp:host/error@1.last) or the
// SDK's. Values handed out through char ** parameters are malloc'd,
// NUL-terminated (the terminator is not counted in a length) and the
// caller's to free(); pointers returned as const char * belong to the SDK
// and stay valid until the request ends.
//
// # The response cannot be forgotten
//
// Nothing is written to stdout while the handler builds its response; it
// is kept in memory and written, status line and headers and body, in one
// write (one fd_write of several buffers) by wisp_finish. WISP_HANDLER and
// WISP_MAIN define the module's entry point (the export wisp_handle, or
// main) so that wisp_finish runs when the handler returns, whichever way
// it returns; you never call it yourself. A command that calls exit() is
// covered too: the first change to the response installs an atexit guard
// that finishes it. (A reactor has no such hook when wisp_handle returns,
// which is why the SDK owns that export.) A handler that built nothing at
// all gets a 500 and a line in the app's log saying so.
// Do not write to stdout yourself (printf, puts) in an app using the SDK:
// that output would come before the SDK's headers.
//
// # Reactors and the environment
//
// The SDK reads the request's environment with WASI's environ_get each
// request, never through getenv (wasi-libc caches the environment it saw
// first, which in a reactor is the deploy's). No SDK function may be
// called during initialization (a constructor, or anything _initialize
// runs): the host services fail there with WISP_UNAVAILABLE.
//
// # Concurrency
//
// A Wisp instance handles one request on one thread; the SDK keeps its
// per-request state in static variables and is not thread-safe.
#ifndef WISP_H
#define WISP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// ---------------------------------------------------------------------
// Status codes and errors

// Status codes: 0 to 9 are the host's (docs/guest-abi.md), the negative
// ones the SDK's.
enum {
	WISP_OK = 0,               // success
	WISP_NOT_FOUND = 1,        // no such key, variable, header or parameter
	WISP_BUFFER_TOO_SMALL = 2, // handled inside the SDK; never returned
	WISP_DENIED = 3,           // not declared in wisp.toml, or an outbound URL not allowed
	WISP_INVALID = 4,          // a malformed argument
	WISP_LIMIT = 5,            // a size or per-request limit was reached
	WISP_UNAVAILABLE = 6,      // the backend or network failed; may succeed later
	WISP_TIMEOUT = 7,          // an outbound call ran out of time
	WISP_FAULT = 8,            // a pointer outside linear memory (an SDK bug)
	WISP_CONFLICT = 9,         // compare-and-swap raced too many times
	WISP_ERR_NOMEM = -1,       // malloc failed
	WISP_ERR_TOO_LARGE = -2,   // the request body is over the bound given
	WISP_ERR_IO = -3,          // reading stdin or writing stdout failed
};

// wisp_errmsg returns the message of the last call that failed, or "" if
// none has. The string belongs to the SDK; it is replaced by the next
// failure.
const char *wisp_errmsg(void);

// wisp_status_name returns the name of a status code ("NOT_FOUND"), or
// "UNKNOWN".
const char *wisp_status_name(int status);

// ---------------------------------------------------------------------
// The request

// wisp_env returns the request's CGI variable name (REQUEST_METHOD,
// PATH_INFO, HTTP_USER_AGENT...), or NULL if it is not set.
const char *wisp_env(const char *name);

// wisp_method returns REQUEST_METHOD ("GET" if unset).
const char *wisp_method(void);

// wisp_path returns PATH_INFO, the decoded path after the route's prefix
// ("" for the prefix itself, "/abc" below it), never NULL.
const char *wisp_path(void);

// wisp_query returns QUERY_STRING, still encoded, never NULL.
const char *wisp_query(void);

// wisp_header returns the request header name ("Authorization",
// case-insensitive), or NULL if absent. Content-Type and Content-Length
// come from CONTENT_TYPE and CONTENT_LENGTH, the others from HTTP_*.
const char *wisp_header(const char *name);

// wisp_param is one decoded name=value pair. value_len counts the bytes of
// value (a "%00" in the input is a NUL inside it).
typedef struct {
	char *name;
	char *value;
	size_t value_len;
} wisp_param;

// wisp_params is a list of decoded pairs in the order they came.
typedef struct {
	wisp_param *items;
	size_t count;
} wisp_params;

// wisp_parse_params decodes application/x-www-form-urlencoded text (a query
// string or a form body: pairs separated by '&', '+' for a space, %XX
// escapes; a malformed escape is kept as is) into out, which the caller
// releases with wisp_params_free. Fails only with WISP_ERR_NOMEM.
int wisp_parse_params(const char *text, size_t len, wisp_params *out);

// wisp_params_get returns the value of the first pair named name, or NULL.
const char *wisp_params_get(const wisp_params *params, const char *name);

// wisp_params_free releases what wisp_parse_params allocated.
void wisp_params_free(wisp_params *params);

// wisp_url_decode decodes %XX escapes (and '+' as a space if plus_space)
// of s[0:len] in place and returns the decoded length; s is then
// NUL-terminated if len bytes plus one fit (the decoded text never grows).
size_t wisp_url_decode(char *s, size_t len, bool plus_space);

// wisp_query_params returns the decoded query string (never NULL; empty
// if it could not be decoded, with wisp_errmsg saying why).
const wisp_params *wisp_query_params(void);

// wisp_query_param returns the decoded value of the first query parameter
// named name, or NULL.
const char *wisp_query_param(const char *name);

// wisp_body reads the whole request body from stdin (CONTENT_LENGTH bytes,
// or to the end when it is unset) and returns it in *data (NUL-terminated,
// owned by the SDK) and its size in *len. A body over max bytes fails with
// WISP_ERR_TOO_LARGE without reading past the bound; the app should answer
// 413. Later calls return the same body (a later call with a smaller max
// fails if the body is larger).
int wisp_body(size_t max, const char **data, size_t *len);

// wisp_form reads the body (as wisp_body, at most max bytes) and decodes it
// as an application/x-www-form-urlencoded form into *out, owned by the SDK.
// A request of another Content-Type fails with WISP_INVALID.
int wisp_form(size_t max, const wisp_params **out);

// ---------------------------------------------------------------------
// The response
//
// The response starts as 200 with no headers and an empty body. Each
// function below changes the one in memory; wisp_finish writes it. After
// wisp_finish they fail with WISP_INVALID.

// wisp_set_status sets the status code (200 to 599, else WISP_INVALID).
int wisp_set_status(int status);

// wisp_set_header sets header name to value, replacing earlier values of
// the same name (case-insensitive). The name must be an HTTP token other
// than Status (use wisp_set_status); the value may not hold CR, LF or NUL.
int wisp_set_header(const char *name, const char *value);

// wisp_add_header adds a header line, keeping earlier ones of that name
// (Set-Cookie); the same rules as wisp_set_header.
int wisp_add_header(const char *name, const char *value);

// wisp_write appends len bytes to the body.
int wisp_write(const void *data, size_t len);

// wisp_print appends a string to the body.
int wisp_print(const char *s);

// wisp_printf appends formatted text to the body.
int wisp_printf(const char *format, ...) __attribute__((format(printf, 1, 2)));

// wisp_print_json appends s as a JSON string: quoted, with '"', '\\' and
// control characters escaped. Bytes that are not valid UTF-8 become U+FFFD.
int wisp_print_json(const char *s);

// wisp_respond sets the status and Content-Type (if content_type is not
// NULL), appends body (if not NULL) and finishes the response.
int wisp_respond(int status, const char *content_type, const char *body);

// wisp_redirect answers status (301, 302, 303, 307 or 308) with Location:
// location and finishes the response.
int wisp_redirect(int status, const char *location);

// wisp_finish writes the response to stdout: "Status: NNN", the headers (a
// Content-Type of text/plain; charset=utf-8 if the body is not empty and
// none was set), a blank line and the body, in one write. The first call
// writes; later calls do nothing and return WISP_OK. If the handler never
// touched the response, or building it ran out of memory, it answers 500
// instead and says why on stderr (the app's log). WISP_HANDLER and
// WISP_MAIN call it for you.
int wisp_finish(void);

// wisp_finished reports whether the response has been written.
bool wisp_finished(void);

// wisp_serve runs one request: it forgets any state of an earlier request
// in this instance, calls handler, then wisp_finish. It returns
// wisp_finish's status.
int wisp_serve(void (*handler)(void));

// WISP_HANDLER(fn) makes this module a reactor whose export wisp_handle
// serves each request with fn (build with -mexec-model=reactor).
#define WISP_HANDLER(fn)                                              \
	__attribute__((export_name("wisp_handle"))) void wisp_handle(void) { \
		wisp_serve(fn);                                                  \
	}

// WISP_MAIN(fn) makes this module a command whose main serves the request
// with fn; it exits 1 if the response could not be written.
#define WISP_MAIN(fn) \
	int main(void) { return wisp_serve(fn) == WISP_OK ? 0 : 1; }

// ---------------------------------------------------------------------
// Key-value stores (wisp:keyvalue/store@1 and atomics@1)
//
// A store is opened by the label the app declares in wisp.toml
// (key_value_stores = ["default"]). Keys are 1 to 512 bytes of UTF-8
// without NUL; values are bytes.

// wisp_kv is an open store.
typedef uint32_t wisp_kv;

// wisp_kv_open opens the store name into *store; WISP_DENIED if the app
// does not declare it.
int wisp_kv_open(const char *name, wisp_kv *store);

// wisp_kv_get reads key into *value (malloc'd, NUL-terminated; the caller
// frees it) and its size into *len (may be NULL); WISP_NOT_FOUND if the
// key is absent or expired.
int wisp_kv_get(wisp_kv store, const char *key, char **value, size_t *len);

// wisp_kv_set stores len bytes of value under key; ttl_ms > 0 expires the
// key that many milliseconds later, 0 keeps it.
int wisp_kv_set(wisp_kv store, const char *key, const void *value, size_t len, int64_t ttl_ms);

// wisp_kv_delete removes key (WISP_OK if it was absent).
int wisp_kv_delete(wisp_kv store, const char *key);

// wisp_kv_exists sets *found to whether key is present.
int wisp_kv_exists(wisp_kv store, const char *key, bool *found);

// wisp_keys is a list of keys; free it with wisp_keys_free.
typedef struct {
	char **keys;  // count NUL-terminated keys, in bytewise order
	size_t count;
	bool more;    // after wisp_kv_list: more keys follow the last one
	char *data_;  // the SDK's: the storage the keys point into
	size_t size_; // the SDK's: bytes used in data_
} wisp_keys;

// wisp_kv_list lists one page of the keys starting with prefix (NULL or ""
// for all) that sort after after (NULL or "" to start at the beginning).
// To read the next page, pass the last key of this one as after while
// page->more is true. Free the page with wisp_keys_free.
int wisp_kv_list(wisp_kv store, const char *prefix, const char *after, wisp_keys *page);

// wisp_kv_list_all lists every key starting with prefix, page by page,
// into *keys (more is false). Free it with wisp_keys_free.
int wisp_kv_list_all(wisp_kv store, const char *prefix, wisp_keys *keys);

// wisp_keys_free releases a key list and zeroes it.
void wisp_keys_free(wisp_keys *keys);

// wisp_kv_increment adds delta to key's value, a decimal integer (an absent
// key counts as 0), atomically, and sets *result (may be NULL) to the new
// value. WISP_INVALID if the value is not a decimal integer, WISP_LIMIT on
// overflow.
int wisp_kv_increment(wisp_kv store, const char *key, int64_t delta, int64_t *result);

// wisp_kv_cas sets key to new_value if its value equals old (or, with old
// NULL, if key is absent), atomically; *swapped says whether it did.
int wisp_kv_cas(wisp_kv store, const char *key, const void *old, size_t old_len,
	const void *new_value, size_t new_len, bool *swapped);

// ---------------------------------------------------------------------
// Variables and secrets (wisp:config/store@1)

// wisp_var reads the variable name (declared in wisp.toml's [variables])
// into *value (malloc'd; the caller frees it). WISP_NOT_FOUND if it has no
// value and no default, WISP_DENIED if the app does not declare it. Never
// log or print a secret's value.
int wisp_var(const char *name, char **value);

// ---------------------------------------------------------------------
// Logging (wisp:logging/logging@1)

// Log levels, as wasi:logging's.
enum wisp_level {
	WISP_LOG_TRACE = 0,
	WISP_LOG_DEBUG = 1,
	WISP_LOG_INFO = 2,
	WISP_LOG_WARN = 3,
	WISP_LOG_ERROR = 4,
	WISP_LOG_CRITICAL = 5,
};

// wisp_log writes one entry to the app's log and the node's structured
// log: msg, then fields as alternating key and value strings ended by
// NULL: wisp_log(WISP_LOG_INFO, "link saved", "code", code, NULL). The
// macros below add the NULL.
int wisp_log(enum wisp_level level, const char *msg, ...) __attribute__((sentinel));

// wisp_log_fields is wisp_log with a context (a short component name, may
// be NULL) and the fields as an array of nfields strings (key, value, key,
// value...; nfields even).
int wisp_log_fields(enum wisp_level level, const char *context, const char *msg,
	const char *const *fields, size_t nfields);

#define wisp_trace(...) wisp_log(WISP_LOG_TRACE, __VA_ARGS__, (const char *)0)
#define wisp_debug(...) wisp_log(WISP_LOG_DEBUG, __VA_ARGS__, (const char *)0)
#define wisp_info(...) wisp_log(WISP_LOG_INFO, __VA_ARGS__, (const char *)0)
#define wisp_warn(...) wisp_log(WISP_LOG_WARN, __VA_ARGS__, (const char *)0)
#define wisp_error(...) wisp_log(WISP_LOG_ERROR, __VA_ARGS__, (const char *)0)
#define wisp_critical(...) wisp_log(WISP_LOG_CRITICAL, __VA_ARGS__, (const char *)0)

// ---------------------------------------------------------------------
// Outbound HTTP (wisp:http/outgoing-handler@1)
//
// Deny by default: a URL must match the app's allowed_outbound_hosts.

// wisp_http_response is a response whose body may still be read; close it
// with wisp_http_close (the host closes what is left open when the request
// ends).
typedef uint32_t wisp_http_response;

// wisp_http_send sends a request and waits for the response's status and
// headers. method NULL means GET; headers is NULL or "Name: value" lines
// separated by '\n'; body may be NULL. WISP_DENIED, WISP_LIMIT,
// WISP_TIMEOUT and WISP_UNAVAILABLE say why it was not sent or failed.
int wisp_http_send(const char *method, const char *url, const char *headers,
	const void *body, size_t body_len, wisp_http_response *response);

// wisp_http_status sets *status to the response's HTTP status.
int wisp_http_status(wisp_http_response response, int *status);

// wisp_http_header reads the first value of the response header name
// (case-insensitive) into *value (malloc'd); WISP_NOT_FOUND if absent.
int wisp_http_header(wisp_http_response response, const char *name, char **value);

// wisp_http_headers reads every response header as "Name: value\n" lines
// into *text (malloc'd).
int wisp_http_headers(wisp_http_response response, char **text);

// wisp_http_read reads up to cap bytes of the body into buf and sets *n to
// the count, 0 at the end of the body.
int wisp_http_read(wisp_http_response response, void *buf, size_t cap, size_t *n);

// wisp_http_read_all reads the rest of the body into *body (malloc'd,
// NUL-terminated) and its size into *len; WISP_ERR_TOO_LARGE if it is
// over max bytes.
int wisp_http_read_all(wisp_http_response response, size_t max, char **body, size_t *len);

// wisp_http_close releases the response.
int wisp_http_close(wisp_http_response response);

#ifdef __cplusplus
}
#endif

#endif // WISP_H
