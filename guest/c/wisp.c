// wisp.c: the Wisp guest SDK for C; see wisp.h for the API and its rules.
//
// The host functions are declared below with the import module and name of
// docs/guest-abi.md. Every result the host writes goes to a buffer this file
// owns; a result larger than the buffer (BUFFER_TOO_SMALL) is fetched again
// with a buffer of the size the host asked for.
#include "wisp.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/uio.h>
#include <unistd.h>
#include <wasi/api.h>

// ---------------------------------------------------------------------
// Host imports

#define WISP_IMPORT(module, name) __attribute__((import_module(module), import_name(name)))
#define M_ERROR "wisp:host/error@1"
#define M_KV "wisp:keyvalue/store@1"
#define M_ATOMICS "wisp:keyvalue/atomics@1"
#define M_CONFIG "wisp:config/store@1"
#define M_LOG "wisp:logging/logging@1"
#define M_HTTP "wisp:http/outgoing-handler@1"

typedef uint32_t u32;

WISP_IMPORT(M_ERROR, "last") int32_t h_last(char *buf, u32 cap, u32 *len);
WISP_IMPORT(M_KV, "open") int32_t h_kv_open(const char *name, u32 name_len, u32 *handle);
WISP_IMPORT(M_KV, "get") int32_t h_kv_get(u32 h, const char *key, u32 key_len, char *buf, u32 cap, u32 *len);
WISP_IMPORT(M_KV, "set") int32_t h_kv_set(u32 h, const char *key, u32 key_len, const void *val, u32 val_len, int64_t ttl_ms);
WISP_IMPORT(M_KV, "delete") int32_t h_kv_delete(u32 h, const char *key, u32 key_len);
WISP_IMPORT(M_KV, "exists") int32_t h_kv_exists(u32 h, const char *key, u32 key_len);
WISP_IMPORT(M_KV, "list_keys") int32_t h_kv_list_keys(u32 h, const char *prefix, u32 prefix_len,
	const char *after, u32 after_len, char *buf, u32 cap, u32 *len, u32 *more);
WISP_IMPORT(M_ATOMICS, "increment") int32_t h_kv_increment(u32 h, const char *key, u32 key_len, int64_t delta, int64_t *result);
WISP_IMPORT(M_ATOMICS, "compare_and_swap") int32_t h_kv_cas(u32 h, const char *key, u32 key_len,
	const void *old, u32 old_len, u32 expect_absent, const void *new_value, u32 new_len, u32 *swapped);
WISP_IMPORT(M_CONFIG, "get") int32_t h_config_get(const char *name, u32 name_len, char *buf, u32 cap, u32 *len);
WISP_IMPORT(M_LOG, "log") int32_t h_log(u32 level, const char *context, u32 context_len,
	const char *msg, u32 msg_len, const char *fields, u32 fields_len);
WISP_IMPORT(M_HTTP, "send") int32_t h_http_send(const char *method, u32 method_len, const char *url, u32 url_len,
	const char *headers, u32 headers_len, const void *body, u32 body_len, u32 *response);
WISP_IMPORT(M_HTTP, "status") int32_t h_http_status(u32 r, u32 *status);
WISP_IMPORT(M_HTTP, "header") int32_t h_http_header(u32 r, const char *name, u32 name_len, char *buf, u32 cap, u32 *len);
WISP_IMPORT(M_HTTP, "headers") int32_t h_http_headers(u32 r, char *buf, u32 cap, u32 *len);
WISP_IMPORT(M_HTTP, "read") int32_t h_http_read(u32 r, void *buf, u32 cap, u32 *n);
WISP_IMPORT(M_HTTP, "close") int32_t h_http_close(u32 r);

// ---------------------------------------------------------------------
// Growable byte buffers

typedef struct {
	char *data;
	size_t len, cap;
} buf_t;

// buf_reserve makes room for n more bytes plus a NUL.
static bool buf_reserve(buf_t *b, size_t n) {
	if (n > SIZE_MAX / 2 - b->len) {
		return false;
	}
	if (b->len + n + 1 <= b->cap) {
		return true;
	}
	size_t cap = b->cap < 256 ? 256 : b->cap;
	while (cap < b->len + n + 1) {
		cap *= 2;
	}
	char *d = realloc(b->data, cap);
	if (d == NULL) {
		return false;
	}
	b->data = d;
	b->cap = cap;
	return true;
}

static bool buf_append(buf_t *b, const void *p, size_t n) {
	if (!buf_reserve(b, n)) {
		return false;
	}
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return true;
}

static bool buf_str(buf_t *b, const char *s) { return buf_append(b, s, strlen(s)); }

static void buf_free(buf_t *b) {
	free(b->data);
	*b = (buf_t){0};
}

// ---------------------------------------------------------------------
// Errors

static buf_t errmsg;

static void set_msgv(const char *format, va_list ap) {
	char small[512];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof small, format, copy);
	va_end(copy);
	errmsg.len = 0;
	if (n < 0) {
		buf_str(&errmsg, format);
	} else if ((size_t)n < sizeof small) {
		buf_append(&errmsg, small, (size_t)n);
	} else if (buf_reserve(&errmsg, (size_t)n)) {
		vsnprintf(errmsg.data, (size_t)n + 1, format, ap);
		errmsg.len = (size_t)n;
	}
}

// fail records an SDK message for status and returns status.
__attribute__((format(printf, 2, 3))) static int fail(int status, const char *format, ...) {
	va_list ap;
	va_start(ap, format);
	set_msgv(format, ap);
	va_end(ap);
	return status;
}

static int nomem(const char *what) { return fail(WISP_ERR_NOMEM, "%s: out of memory", what); }

// host_fail records the host's message for a failed call (what names the
// call, for a message of last resort) and returns status.
static int host_fail(int32_t status, const char *what) {
	u32 cap = 256, need = 0;
	for (int tries = 0; tries < 3; tries++) {
		if (!buf_reserve(&errmsg, cap)) {
			break;
		}
		int32_t st = h_last(errmsg.data, cap, &need);
		if (st == WISP_OK && need <= cap) {
			errmsg.len = need;
			errmsg.data[need] = '\0';
			if (need > 0) {
				return status;
			}
			break;
		}
		if (st != WISP_BUFFER_TOO_SMALL || need <= cap) {
			break;
		}
		cap = need;
	}
	return fail(status, "%s failed with %s", what, wisp_status_name(status));
}

const char *wisp_errmsg(void) { return errmsg.data != NULL ? errmsg.data : ""; }

const char *wisp_status_name(int status) {
	switch (status) {
	case WISP_OK: return "OK";
	case WISP_NOT_FOUND: return "NOT_FOUND";
	case WISP_BUFFER_TOO_SMALL: return "BUFFER_TOO_SMALL";
	case WISP_DENIED: return "DENIED";
	case WISP_INVALID: return "INVALID";
	case WISP_LIMIT: return "LIMIT";
	case WISP_UNAVAILABLE: return "UNAVAILABLE";
	case WISP_TIMEOUT: return "TIMEOUT";
	case WISP_FAULT: return "FAULT";
	case WISP_CONFLICT: return "CONFLICT";
	case WISP_ERR_NOMEM: return "ERR_NOMEM";
	case WISP_ERR_TOO_LARGE: return "ERR_TOO_LARGE";
	case WISP_ERR_IO: return "ERR_IO";
	default: return "UNKNOWN";
	}
}

// fetch calls a host function that writes a result of unknown size, first
// with a small buffer, then with one of the size the host asks for. The
// result is malloc'd and NUL-terminated.
typedef int32_t (*fetch_fn)(const void *args, char *buf, u32 cap, u32 *len);

static int32_t fetch(fetch_fn f, const void *args, char **out, size_t *out_len) {
	u32 cap = 256, need = 0;
	for (;;) {
		char *buf = malloc((size_t)cap + 1);
		if (buf == NULL) {
			return WISP_ERR_NOMEM;
		}
		int32_t st = f(args, buf, cap, &need);
		if (st == WISP_OK && need <= cap) {
			buf[need] = '\0';
			*out = buf;
			if (out_len != NULL) {
				*out_len = need;
			}
			return WISP_OK;
		}
		free(buf);
		if (st != WISP_BUFFER_TOO_SMALL || need <= cap || need == UINT32_MAX) {
			return st == WISP_OK ? WISP_FAULT : st;
		}
		cap = need;
	}
}

// ---------------------------------------------------------------------
// Per-request state

static struct {
	char **env; // the request's environment, NULL until read
	char *env_data;
	size_t env_count;
	int body_state; // 0 unread, 1 read, else the failure's status
	buf_t body;
	bool query_done;
	wisp_params query;
	bool form_done;
	wisp_params form;
	int status;
	buf_t headers, out;
	bool touched, broken, finished;
} req;

static bool guard_installed;

static void finish_at_exit(void) { wisp_finish(); }

// guard installs the atexit guard the first time the response is touched,
// so that a command whose handler calls exit() still sends its response.
static void guard(void) {
	if (!guard_installed) {
		guard_installed = true;
		atexit(finish_at_exit);
	}
}

static void reset(void) {
	free(req.env);
	free(req.env_data);
	buf_free(&req.body);
	wisp_params_free(&req.query);
	wisp_params_free(&req.form);
	buf_free(&req.headers);
	buf_free(&req.out);
	memset(&req, 0, sizeof req);
}

// ---------------------------------------------------------------------
// The request

static void load_env(void) {
	__wasi_size_t count = 0, size = 0;
	if (__wasi_environ_sizes_get(&count, &size) != 0) {
		count = size = 0;
	}
	req.env = calloc((size_t)count + 1, sizeof *req.env);
	req.env_data = malloc((size_t)size + 1);
	if (req.env == NULL || req.env_data == NULL ||
		(count > 0 && __wasi_environ_get((uint8_t **)req.env, (uint8_t *)req.env_data) != 0)) {
		count = 0;
	}
	req.env_count = count;
}

const char *wisp_env(const char *name) {
	if (req.env == NULL) {
		load_env();
	}
	size_t n = strlen(name);
	for (size_t i = 0; i < req.env_count; i++) {
		const char *e = req.env[i];
		if (e != NULL && strncmp(e, name, n) == 0 && e[n] == '=') {
			return e + n + 1;
		}
	}
	return NULL;
}

static const char *env_or(const char *name, const char *fallback) {
	const char *v = wisp_env(name);
	return v != NULL ? v : fallback;
}

const char *wisp_method(void) { return env_or("REQUEST_METHOD", "GET"); }
const char *wisp_path(void) { return env_or("PATH_INFO", ""); }
const char *wisp_query(void) { return env_or("QUERY_STRING", ""); }

const char *wisp_header(const char *name) {
	if (strcasecmp(name, "Content-Type") == 0) {
		return wisp_env("CONTENT_TYPE");
	}
	if (strcasecmp(name, "Content-Length") == 0) {
		return wisp_env("CONTENT_LENGTH");
	}
	char var[256];
	size_t n = strlen(name);
	if (n == 0 || n > sizeof var - 6) {
		return NULL;
	}
	memcpy(var, "HTTP_", 5);
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		var[5 + i] = c == '-' ? '_' : (c >= 'a' && c <= 'z') ? (char)(c - 'a' + 'A') : c;
	}
	var[5 + n] = '\0';
	return wisp_env(var);
}

static int hex(char c) {
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

size_t wisp_url_decode(char *s, size_t len, bool plus_space) {
	size_t w = 0;
	for (size_t r = 0; r < len; r++) {
		char c = s[r];
		if (c == '+' && plus_space) {
			c = ' ';
		} else if (c == '%' && r + 2 < len && hex(s[r + 1]) >= 0 && hex(s[r + 2]) >= 0) {
			c = (char)(hex(s[r + 1]) * 16 + hex(s[r + 2]));
			r += 2;
		}
		s[w++] = c;
	}
	return w;
}

int wisp_parse_params(const char *text, size_t len, wisp_params *out) {
	*out = (wisp_params){0};
	size_t pairs = 1;
	for (size_t i = 0; i < len; i++) {
		pairs += text[i] == '&';
	}
	// One block: the array, then a copy of the text decoded in place.
	size_t array = pairs * sizeof(wisp_param);
	char *block = malloc(array + len + 1);
	if (block == NULL) {
		return nomem("decode parameters");
	}
	wisp_param *items = (wisp_param *)(void *)block;
	char *s = block + array;
	memcpy(s, text, len);
	s[len] = '\0';
	size_t count = 0, start = 0;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && s[i] != '&') {
			continue;
		}
		char *pair = s + start;
		size_t n = i - start;
		s[i] = '\0';
		start = i + 1;
		if (n == 0) {
			continue;
		}
		char *eq = memchr(pair, '=', n);
		size_t name_len = eq != NULL ? (size_t)(eq - pair) : n;
		char *value = eq != NULL ? eq + 1 : pair + n;
		size_t value_len = eq != NULL ? n - name_len - 1 : 0;
		pair[wisp_url_decode(pair, name_len, true)] = '\0';
		value_len = wisp_url_decode(value, value_len, true);
		value[value_len] = '\0';
		items[count++] = (wisp_param){pair, value, value_len};
	}
	out->items = items;
	out->count = count;
	return WISP_OK;
}

const char *wisp_params_get(const wisp_params *params, const char *name) {
	for (size_t i = 0; params != NULL && i < params->count; i++) {
		if (strcmp(params->items[i].name, name) == 0) {
			return params->items[i].value;
		}
	}
	return NULL;
}

void wisp_params_free(wisp_params *params) {
	free(params->items); // the block holding the array and the strings
	*params = (wisp_params){0};
}

const wisp_params *wisp_query_params(void) {
	if (!req.query_done) {
		const char *q = wisp_query();
		if (wisp_parse_params(q, strlen(q), &req.query) == WISP_OK) {
			req.query_done = true;
		}
	}
	return &req.query;
}

const char *wisp_query_param(const char *name) { return wisp_params_get(wisp_query_params(), name); }

static int read_body(size_t max) {
	const char *cl = wisp_env("CONTENT_LENGTH");
	unsigned long long want = (unsigned long long)-1;
	if (cl != NULL && *cl != '\0') {
		char *end;
		want = strtoull(cl, &end, 10);
		if (*end != '\0') {
			return fail(WISP_INVALID, "CONTENT_LENGTH %s is not a number", cl);
		}
		if (want > max) {
			return fail(WISP_ERR_TOO_LARGE, "the request body is %llu bytes, over the %zu this app accepts", want, max);
		}
	}
	for (;;) {
		if (!buf_reserve(&req.body, 16384)) {
			return nomem("read the request body");
		}
		// Read at most want bytes, and never more than max + 1.
		size_t room = req.body.cap - req.body.len - 1;
		if (want - req.body.len < room) {
			room = (size_t)(want - req.body.len);
		}
		if (max < SIZE_MAX && max + 1 - req.body.len < room) {
			room = max + 1 - req.body.len;
		}
		if (room == 0) {
			break;
		}
		ssize_t n = read(0, req.body.data + req.body.len, room);
		if (n < 0) {
			return fail(WISP_ERR_IO, "read the request body from stdin: %s", strerror(errno));
		}
		if (n == 0) {
			break;
		}
		req.body.len += (size_t)n;
		if (req.body.len > max) {
			return fail(WISP_ERR_TOO_LARGE, "the request body is over the %zu bytes this app accepts", max);
		}
	}
	req.body.data[req.body.len] = '\0';
	return WISP_OK;
}

int wisp_body(size_t max, const char **data, size_t *len) {
	if (req.body_state == 0) {
		int st = read_body(max);
		req.body_state = st == WISP_OK ? 1 : st;
		if (st != WISP_OK) {
			return st;
		}
	} else if (req.body_state != 1) {
		return fail(req.body_state, "the request body could not be read (see the first failure)");
	} else if (req.body.len > max) {
		return fail(WISP_ERR_TOO_LARGE, "the request body is %zu bytes, over the %zu asked for", req.body.len, max);
	}
	*data = req.body.data;
	*len = req.body.len;
	return WISP_OK;
}

int wisp_form(size_t max, const wisp_params **out) {
	if (!req.form_done) {
		const char *ct = env_or("CONTENT_TYPE", "");
		const char *want = "application/x-www-form-urlencoded";
		size_t n = strlen(want);
		if (strncasecmp(ct, want, n) != 0 || (ct[n] != '\0' && ct[n] != ';' && ct[n] != ' ')) {
			return fail(WISP_INVALID, "the request's Content-Type is \"%s\", not %s", ct, want);
		}
		const char *body;
		size_t len;
		int st = wisp_body(max, &body, &len);
		if (st != WISP_OK) {
			return st;
		}
		if ((st = wisp_parse_params(body, len, &req.form)) != WISP_OK) {
			return st;
		}
		req.form_done = true;
	}
	*out = &req.form;
	return WISP_OK;
}

// ---------------------------------------------------------------------
// The response

// editable reports whether the response may still change, marking it
// touched.
static int editable(void) {
	guard();
	if (req.finished) {
		return fail(WISP_INVALID, "the response was already written: change it before wisp_finish or wisp_respond");
	}
	req.touched = true;
	return WISP_OK;
}

int wisp_set_status(int status) {
	int st = editable();
	if (st != WISP_OK) {
		return st;
	}
	if (status < 200 || status > 599) {
		return fail(WISP_INVALID, "status %d: use a code from 200 to 599", status);
	}
	req.status = status;
	return WISP_OK;
}

static bool token_char(unsigned char c) {
	return c > ' ' && c < 0x7f && strchr("()<>@,;:\\\"/[]?={}", c) == NULL;
}

static int check_header(const char *name, const char *value) {
	if (*name == '\0') {
		return fail(WISP_INVALID, "a response header needs a name");
	}
	for (const char *p = name; *p != '\0'; p++) {
		if (!token_char((unsigned char)*p)) {
			return fail(WISP_INVALID, "response header name \"%s\": use letters, digits and -", name);
		}
	}
	if (strcasecmp(name, "Status") == 0) {
		return fail(WISP_INVALID, "set the status with wisp_set_status, not as a header");
	}
	if (strpbrk(value, "\r\n") != NULL) {
		return fail(WISP_INVALID, "response header %s: the value holds a line break", name);
	}
	return WISP_OK;
}

// remove_header drops every header line named name.
static void remove_header(const char *name) {
	size_t n = strlen(name), r = 0, w = 0;
	buf_t *h = &req.headers;
	while (r < h->len) {
		char *line = h->data + r;
		char *nl = memchr(line, '\n', h->len - r);
		size_t line_len = (size_t)(nl - line) + 1; // every line ends in '\n'
		bool same = line_len > n && line[n] == ':' && strncasecmp(line, name, n) == 0;
		if (!same) {
			memmove(h->data + w, line, line_len);
			w += line_len;
		}
		r += line_len;
	}
	h->len = w;
	if (h->data != NULL) {
		h->data[w] = '\0';
	}
}

int wisp_add_header(const char *name, const char *value) {
	int st = editable();
	if (st != WISP_OK || (st = check_header(name, value)) != WISP_OK) {
		return st;
	}
	size_t mark = req.headers.len;
	if (!buf_str(&req.headers, name) || !buf_str(&req.headers, ": ") ||
		!buf_str(&req.headers, value) || !buf_str(&req.headers, "\n")) {
		req.headers.len = mark;
		req.broken = true;
		return nomem("add a response header");
	}
	return WISP_OK;
}

int wisp_set_header(const char *name, const char *value) {
	int st = editable();
	if (st != WISP_OK || (st = check_header(name, value)) != WISP_OK) {
		return st;
	}
	remove_header(name);
	return wisp_add_header(name, value);
}

int wisp_write(const void *data, size_t len) {
	int st = editable();
	if (st != WISP_OK) {
		return st;
	}
	if (!buf_append(&req.out, data, len)) {
		req.broken = true;
		return nomem("write the response body");
	}
	return WISP_OK;
}

int wisp_print(const char *s) { return wisp_write(s, strlen(s)); }

int wisp_printf(const char *format, ...) {
	int st = editable();
	if (st != WISP_OK) {
		return st;
	}
	va_list ap;
	va_start(ap, format);
	char small[256];
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(small, sizeof small, format, copy);
	va_end(copy);
	if (n < 0) {
		st = fail(WISP_INVALID, "wisp_printf: bad format \"%s\"", format);
	} else if ((size_t)n < sizeof small) {
		st = wisp_write(small, (size_t)n);
	} else if (buf_reserve(&req.out, (size_t)n)) {
		vsnprintf(req.out.data + req.out.len, (size_t)n + 1, format, ap);
		req.out.len += (size_t)n;
	} else {
		req.broken = true;
		st = nomem("write the response body");
	}
	va_end(ap);
	return st;
}

// utf8_len returns the length of the valid UTF-8 sequence at s (of n
// bytes), or 0 if it is not one.
static size_t utf8_len(const unsigned char *s, size_t n) {
	unsigned char c = s[0];
	size_t len;
	uint32_t cp;
	if (c < 0x80) return 1;
	if (c >= 0xc2 && c <= 0xdf) len = 2, cp = c & 0x1f;
	else if (c >= 0xe0 && c <= 0xef) len = 3, cp = c & 0x0f;
	else if (c >= 0xf0 && c <= 0xf4) len = 4, cp = c & 0x07;
	else return 0;
	if (len > n) return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80) return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff))) {
		return 0;
	}
	return len;
}

int wisp_print_json(const char *s) {
	int st = editable();
	if (st != WISP_OK) {
		return st;
	}
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	bool ok = buf_append(&req.out, "\"", 1);
	while (ok && n > 0) {
		char esc[8];
		const char *w = esc;
		size_t wl = 2, adv = 1;
		unsigned char c = *p;
		if (c == '"' || c == '\\') esc[0] = '\\', esc[1] = (char)c;
		else if (c == '\n') w = "\\n";
		else if (c == '\r') w = "\\r";
		else if (c == '\t') w = "\\t";
		else if (c < 0x20 || c == 0x7f) wl = (size_t)snprintf(esc, sizeof esc, "\\u%04x", c);
		else if ((adv = utf8_len(p, n)) == 0) w = "\\ufffd", wl = 6, adv = 1;
		else w = (const char *)p, wl = adv;
		ok = buf_append(&req.out, w, wl);
		p += adv;
		n -= adv;
	}
	if (!ok || !buf_append(&req.out, "\"", 1)) {
		req.broken = true;
		return nomem("write the response body");
	}
	return WISP_OK;
}

int wisp_respond(int status, const char *content_type, const char *body) {
	int st = wisp_set_status(status);
	if (st == WISP_OK && content_type != NULL) {
		st = wisp_set_header("Content-Type", content_type);
	}
	if (st == WISP_OK && body != NULL) {
		st = wisp_print(body);
	}
	int fin = wisp_finish();
	return st != WISP_OK ? st : fin;
}

int wisp_redirect(int status, const char *location) {
	if (status != 301 && status != 302 && status != 303 && status != 307 && status != 308) {
		return fail(WISP_INVALID, "redirect status %d: use 301, 302, 303, 307 or 308", status);
	}
	int st = wisp_set_status(status);
	if (st == WISP_OK) {
		st = wisp_set_header("Location", location);
	}
	int fin = wisp_finish();
	return st != WISP_OK ? st : fin;
}

// write_out writes the iovecs to fd, resuming after short writes.
static int write_out(int fd, struct iovec *iov, int count) {
	while (count > 0) {
		if (iov->iov_len == 0) {
			iov++, count--;
			continue;
		}
		ssize_t w = writev(fd, iov, count);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w <= 0) {
			return fail(WISP_ERR_IO, "write the response: %s", w < 0 ? strerror(errno) : "nothing was written");
		}
		while (count > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++, count--;
		}
		if (count > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return WISP_OK;
}

static int write_str(int fd, const char *s) {
	struct iovec iov = {(void *)s, strlen(s)};
	return write_out(fd, &iov, 1);
}

// has_header reports whether a header line named name was set.
static bool has_header(const char *name) {
	size_t n = strlen(name);
	for (const char *line = req.headers.data; line != NULL && *line != '\0';) {
		if (strncasecmp(line, name, n) == 0 && line[n] == ':') {
			return true;
		}
		line = strchr(line, '\n');
		line = line != NULL ? line + 1 : NULL;
	}
	return false;
}

int wisp_finish(void) {
	if (req.finished) {
		return WISP_OK;
	}
	req.finished = true;
	const char *problem = NULL;
	if (!req.touched) {
		problem = "wisp: the handler returned without a response: set a status, a header or a body (wisp_respond) before it returns\n";
	} else if (req.broken) {
		problem = "wisp: the response could not be built (out of memory): answered 500 instead\n";
	}
	char status[32];
	snprintf(status, sizeof status, "Status: %d\n", req.status != 0 ? req.status : 200);
	const char *type = "";
	if (!has_header("Content-Type") && req.out.len > 0) {
		type = "Content-Type: text/plain; charset=utf-8\n";
	}
	if (problem != NULL) {
		write_str(2, problem);
		return write_str(1, "Status: 500\nContent-Type: text/plain; charset=utf-8\n\n"
			"internal error: the app built no response (see its log)\n");
	}
	struct iovec iov[] = {
		{status, strlen(status)},
		{req.headers.data, req.headers.len},
		{(void *)type, strlen(type)},
		{"\n", 1},
		{req.out.data, req.out.len},
	};
	return write_out(1, iov, (int)(sizeof iov / sizeof iov[0]));
}

bool wisp_finished(void) { return req.finished; }

int wisp_serve(void (*handler)(void)) {
	reset();
	handler();
	return wisp_finish();
}

// ---------------------------------------------------------------------
// Key-value stores

// result turns a host status into the SDK's, recording the message.
static int result(int32_t st, const char *what) {
	if (st == WISP_OK) {
		return WISP_OK;
	}
	if (st == WISP_ERR_NOMEM) {
		return nomem(what);
	}
	return host_fail(st, what);
}

int wisp_kv_open(const char *name, wisp_kv *store) {
	return result(h_kv_open(name, (u32)strlen(name), store), "kv open");
}

typedef struct {
	wisp_kv store;
	const char *key;
} kv_args;

static int32_t kv_get_fn(const void *args, char *buf, u32 cap, u32 *len) {
	const kv_args *a = args;
	return h_kv_get(a->store, a->key, (u32)strlen(a->key), buf, cap, len);
}

int wisp_kv_get(wisp_kv store, const char *key, char **value, size_t *len) {
	kv_args a = {store, key};
	int32_t st = fetch(kv_get_fn, &a, value, len);
	if (st == WISP_NOT_FOUND) {
		return fail(st, "key \"%s\" not found", key);
	}
	return result(st, "kv get");
}

int wisp_kv_set(wisp_kv store, const char *key, const void *value, size_t len, int64_t ttl_ms) {
	if (len > UINT32_MAX) {
		return fail(WISP_LIMIT, "kv set \"%s\": the value is over 4 GiB", key);
	}
	return result(h_kv_set(store, key, (u32)strlen(key), value != NULL ? value : "", (u32)len, ttl_ms), "kv set");
}

int wisp_kv_delete(wisp_kv store, const char *key) {
	return result(h_kv_delete(store, key, (u32)strlen(key)), "kv delete");
}

int wisp_kv_exists(wisp_kv store, const char *key, bool *found) {
	int32_t st = h_kv_exists(store, key, (u32)strlen(key));
	*found = st == WISP_OK;
	return st == WISP_NOT_FOUND ? WISP_OK : result(st, "kv exists");
}

// index_keys points keys->keys at the NUL-terminated keys in data_.
static int index_keys(wisp_keys *keys) {
	size_t count = 0;
	for (size_t i = 0; i < keys->size_; i++) {
		count += keys->data_[i] == '\0';
	}
	keys->keys = calloc(count + 1, sizeof *keys->keys);
	if (keys->keys == NULL) {
		return nomem("list keys");
	}
	size_t start = 0;
	keys->count = 0;
	for (size_t i = 0; i < keys->size_; i++) {
		if (keys->data_[i] == '\0') {
			keys->keys[keys->count++] = keys->data_ + start;
			start = i + 1;
		}
	}
	return WISP_OK;
}

int wisp_kv_list(wisp_kv store, const char *prefix, const char *after, wisp_keys *page) {
	*page = (wisp_keys){0};
	prefix = prefix != NULL ? prefix : "";
	after = after != NULL ? after : "";
	u32 cap = 16384, need = 0, more = 0;
	for (;;) {
		page->data_ = malloc(cap);
		if (page->data_ == NULL) {
			return nomem("list keys");
		}
		int32_t st = h_kv_list_keys(store, prefix, (u32)strlen(prefix), after, (u32)strlen(after),
			page->data_, cap, &need, &more);
		if (st == WISP_OK && need <= cap) {
			break;
		}
		wisp_keys_free(page);
		if (st != WISP_BUFFER_TOO_SMALL || need <= cap) {
			return result(st == WISP_OK ? WISP_FAULT : st, "kv list_keys");
		}
		cap = need;
	}
	page->size_ = need;
	page->more = more != 0;
	int st = index_keys(page);
	if (st != WISP_OK) {
		wisp_keys_free(page);
	}
	return st;
}

int wisp_kv_list_all(wisp_kv store, const char *prefix, wisp_keys *keys) {
	*keys = (wisp_keys){0};
	buf_t all = {0};
	char *after = NULL;
	int st;
	for (;;) {
		wisp_keys page;
		if ((st = wisp_kv_list(store, prefix, after, &page)) != WISP_OK) {
			break;
		}
		free(after);
		after = NULL;
		bool more = page.more && page.count > 0;
		if (!buf_append(&all, page.data_, page.size_) ||
			(more && (after = strdup(page.keys[page.count - 1])) == NULL)) {
			wisp_keys_free(&page);
			st = nomem("list keys");
			break;
		}
		wisp_keys_free(&page);
		if (!more) {
			break;
		}
	}
	free(after);
	if (st != WISP_OK) {
		buf_free(&all);
		return st;
	}
	keys->data_ = all.data;
	keys->size_ = all.len;
	if ((st = index_keys(keys)) != WISP_OK) {
		wisp_keys_free(keys);
	}
	return st;
}

void wisp_keys_free(wisp_keys *keys) {
	free(keys->keys);
	free(keys->data_);
	*keys = (wisp_keys){0};
}

int wisp_kv_increment(wisp_kv store, const char *key, int64_t delta, int64_t *out) {
	int64_t n = 0;
	int st = result(h_kv_increment(store, key, (u32)strlen(key), delta, &n), "kv increment");
	if (st == WISP_OK && out != NULL) {
		*out = n;
	}
	return st;
}

int wisp_kv_cas(wisp_kv store, const char *key, const void *old, size_t old_len,
	const void *new_value, size_t new_len, bool *swapped) {
	if (old_len > UINT32_MAX || new_len > UINT32_MAX) {
		return fail(WISP_LIMIT, "kv compare_and_swap \"%s\": a value is over 4 GiB", key);
	}
	u32 done = 0;
	int st = result(h_kv_cas(store, key, (u32)strlen(key), old != NULL ? old : "", old != NULL ? (u32)old_len : 0,
		old == NULL, new_value != NULL ? new_value : "", (u32)new_len, &done), "kv compare_and_swap");
	*swapped = st == WISP_OK && done != 0;
	return st;
}

// ---------------------------------------------------------------------
// Variables

static int32_t var_fn(const void *args, char *buf, u32 cap, u32 *len) {
	const char *name = args;
	return h_config_get(name, (u32)strlen(name), buf, cap, len);
}

int wisp_var(const char *name, char **value) {
	int32_t st = fetch(var_fn, name, value, NULL);
	if (st == WISP_NOT_FOUND) {
		return fail(st, "variable %s has no value: set it with wisp config set (wisp secret set for a secret)", name);
	}
	return result(st, "config get");
}

// ---------------------------------------------------------------------
// Logging

int wisp_log_fields(enum wisp_level level, const char *context, const char *msg,
	const char *const *fields, size_t nfields) {
	if (nfields % 2 != 0) {
		return fail(WISP_INVALID, "log \"%s\": fields come in key, value pairs; %zu given", msg, nfields);
	}
	buf_t f = {0};
	for (size_t i = 0; i < nfields; i++) {
		const char *s = fields[i] != NULL ? fields[i] : "";
		if (!buf_append(&f, s, strlen(s) + 1)) {
			buf_free(&f);
			return nomem("log");
		}
	}
	context = context != NULL ? context : "";
	int st = result(h_log((u32)level, context, (u32)strlen(context), msg, (u32)strlen(msg), f.data, (u32)f.len), "log");
	buf_free(&f);
	return st;
}

int wisp_log(enum wisp_level level, const char *msg, ...) {
	const char *fields[32];
	size_t n = 0;
	va_list ap;
	va_start(ap, msg);
	for (const char *s = va_arg(ap, const char *); s != NULL; s = va_arg(ap, const char *)) {
		if (n == sizeof fields / sizeof fields[0]) {
			va_end(ap);
			return fail(WISP_INVALID, "log \"%s\": over 16 fields; use wisp_log_fields", msg);
		}
		fields[n++] = s;
	}
	va_end(ap);
	return wisp_log_fields(level, NULL, msg, fields, n);
}

// ---------------------------------------------------------------------
// Outbound HTTP

int wisp_http_send(const char *method, const char *url, const char *headers,
	const void *body, size_t body_len, wisp_http_response *response) {
	method = method != NULL ? method : "GET";
	headers = headers != NULL ? headers : "";
	if (body_len > UINT32_MAX) {
		return fail(WISP_LIMIT, "outbound %s %s: the body is over 4 GiB", method, url);
	}
	return result(h_http_send(method, (u32)strlen(method), url, (u32)strlen(url), headers, (u32)strlen(headers),
		body != NULL ? body : "", (u32)body_len, response), "outbound send");
}

int wisp_http_status(wisp_http_response response, int *status) {
	u32 s = 0;
	int st = result(h_http_status(response, &s), "outbound status");
	*status = (int)s;
	return st;
}

typedef struct {
	wisp_http_response r;
	const char *name;
} header_args;

static int32_t header_fn(const void *args, char *buf, u32 cap, u32 *len) {
	const header_args *a = args;
	return h_http_header(a->r, a->name, (u32)strlen(a->name), buf, cap, len);
}

int wisp_http_header(wisp_http_response response, const char *name, char **value) {
	header_args a = {response, name};
	int32_t st = fetch(header_fn, &a, value, NULL);
	if (st == WISP_NOT_FOUND) {
		return fail(st, "the response has no %s header", name);
	}
	return result(st, "outbound header");
}

static int32_t headers_fn(const void *args, char *buf, u32 cap, u32 *len) {
	return h_http_headers(*(const wisp_http_response *)args, buf, cap, len);
}

int wisp_http_headers(wisp_http_response response, char **text) {
	return result(fetch(headers_fn, &response, text, NULL), "outbound headers");
}

int wisp_http_read(wisp_http_response response, void *buf, size_t cap, size_t *n) {
	u32 got = 0;
	int st = result(h_http_read(response, buf, cap > UINT32_MAX ? UINT32_MAX : (u32)cap, &got), "outbound read");
	*n = got;
	return st;
}

int wisp_http_read_all(wisp_http_response response, size_t max, char **body, size_t *len) {
	buf_t b = {0};
	for (;;) {
		if (!buf_reserve(&b, 16384)) {
			buf_free(&b);
			return nomem("read the outbound response");
		}
		size_t n = 0;
		int st = wisp_http_read(response, b.data + b.len, b.cap - b.len - 1, &n);
		if (st != WISP_OK) {
			buf_free(&b);
			return st;
		}
		if (n == 0) {
			break;
		}
		b.len += n;
		if (b.len > max) {
			buf_free(&b);
			return fail(WISP_ERR_TOO_LARGE, "the outbound response's body is over %zu bytes", max);
		}
	}
	b.data[b.len] = '\0';
	*body = b.data;
	*len = b.len;
	return WISP_OK;
}

int wisp_http_close(wisp_http_response response) {
	return result(h_http_close(response), "outbound close");
}
