// links.c: a link shortener in C on the Wisp guest SDK (guest/c).
//
// Routes (PATH_INFO is the part of the path after /links-c):
//
//	GET  /links-c             {"greeting": <variable greeting>, "links": [codes...]}
//	PUT  /links-c/CODE        body: the target URL; needs Authorization: Bearer <secret admin_token>
//	GET  /links-c/CODE        302 to the URL, counting the hit (HEAD: not counted)
//	GET  /links-c/CODE/stats  {"code", "url", "hits"}
//	GET  /links-c/CODE/check  fetches the URL through outbound HTTP: {"code", "status", "bytes"}
//
// Links live in the key-value store "default" under "c:link:CODE", hits
// under "c:hits:CODE" (the prefix lets the other languages' links apps
// share the store). The module is a reactor: WISP_HANDLER exports
// wisp_handle, and the SDK writes the response when handle returns.
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "wisp.h"

#define APP "links-c"
#define LINK_PREFIX "c:link:"
#define HITS_PREFIX "c:hits:"
#define MAX_CODE 64
#define MAX_URL 4096

static void json_error(int status, const char *message) {
	wisp_set_status(status);
	wisp_set_header("Content-Type", "application/json");
	wisp_print("{\"error\":");
	wisp_print_json(message);
	wisp_print("}");
}

// json_fail answers status with the message of the SDK call that failed.
static void json_fail(int status) { json_error(status, wisp_errmsg()); }

static void json_start(int status) {
	wisp_set_status(status);
	wisp_set_header("Content-Type", "application/json");
}

static bool valid_code(const char *code) {
	size_t n = strlen(code);
	if (n == 0 || n > MAX_CODE) {
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		char c = code[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-')) {
			return false;
		}
	}
	return true;
}

// valid_url accepts an http or https URL without spaces or control characters.
static bool valid_url(const char *url) {
	if (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0) {
		return false;
	}
	for (const unsigned char *p = (const unsigned char *)url; *p != '\0'; p++) {
		if (*p <= ' ' || *p == 0x7f) {
			return false;
		}
	}
	return true;
}

// key returns prefix + code in buf (big enough for any valid code).
static const char *key(char *buf, const char *prefix, const char *code) {
	strcpy(buf, prefix);
	strcat(buf, code);
	return buf;
}

// same compares two strings in time that depends on their lengths only.
static bool same(const char *a, const char *b) {
	size_t la = strlen(a), lb = strlen(b);
	unsigned char diff = la != lb;
	for (size_t i = 0; i < la && i < lb; i++) {
		diff |= (unsigned char)(a[i] ^ b[i]);
	}
	return diff == 0;
}

static void list_links(wisp_kv store) {
	char *greeting = NULL;
	int st = wisp_var("greeting", &greeting);
	if (st != WISP_OK && st != WISP_NOT_FOUND) {
		json_fail(500);
		return;
	}
	wisp_keys keys;
	if (wisp_kv_list_all(store, LINK_PREFIX, &keys) != WISP_OK) {
		free(greeting);
		json_fail(500);
		return;
	}
	json_start(200);
	wisp_print("{\"greeting\":");
	wisp_print_json(greeting != NULL ? greeting : "");
	wisp_print(",\"links\":[");
	for (size_t i = 0; i < keys.count; i++) {
		if (i > 0) {
			wisp_print(",");
		}
		wisp_print_json(keys.keys[i] + strlen(LINK_PREFIX));
	}
	wisp_print("]}");
	wisp_keys_free(&keys);
	free(greeting);
}

static void save_link(wisp_kv store, const char *code) {
	char *token = NULL;
	int st = wisp_var("admin_token", &token);
	if (st == WISP_NOT_FOUND || (st == WISP_OK && token[0] == '\0')) {
		free(token);
		json_error(503, "set the admin_token secret: wisp secret set " APP " admin_token");
		return;
	}
	if (st != WISP_OK) {
		json_fail(500);
		return;
	}
	const char *auth = wisp_header("Authorization");
	bool ok = auth != NULL && strncmp(auth, "Bearer ", 7) == 0 && same(auth + 7, token);
	free(token);
	if (!ok) {
		json_error(401, "unauthorized");
		return;
	}
	if (!valid_code(code)) {
		json_error(400, "a code is 1 to 64 letters, digits, '_' or '-'");
		return;
	}
	const char *body;
	size_t len;
	st = wisp_body(MAX_URL, &body, &len);
	if (st == WISP_ERR_TOO_LARGE) {
		json_error(413, "the URL is over 4096 bytes");
		return;
	}
	if (st != WISP_OK) {
		json_fail(400);
		return;
	}
	// The URL, without the spaces and line breaks around it.
	while (len > 0 && (body[0] == ' ' || body[0] == '\t' || body[0] == '\r' || body[0] == '\n')) {
		body++, len--;
	}
	while (len > 0 && (body[len - 1] == ' ' || body[len - 1] == '\t' || body[len - 1] == '\r' || body[len - 1] == '\n')) {
		len--;
	}
	char url[MAX_URL + 1];
	memcpy(url, body, len);
	url[len] = '\0';
	if (strlen(url) != len || !valid_url(url)) {
		json_error(400, "the body must be the target URL, starting with http:// or https://");
		return;
	}
	char k[sizeof LINK_PREFIX + MAX_CODE];
	if (wisp_kv_set(store, key(k, LINK_PREFIX, code), url, len, 0) != WISP_OK) {
		json_fail(500);
		return;
	}
	wisp_info("link saved", "code", code);
	json_start(201);
	wisp_print("{\"code\":");
	wisp_print_json(code);
	wisp_print(",\"url\":");
	wisp_print_json(url);
	wisp_print("}");
}

// get_link reads the URL of code into *url, or answers 404 (or 500) and
// returns false.
static bool get_link(wisp_kv store, const char *code, char **url) {
	char k[sizeof LINK_PREFIX + MAX_CODE];
	int st = valid_code(code) ? wisp_kv_get(store, key(k, LINK_PREFIX, code), url, NULL) : WISP_NOT_FOUND;
	if (st == WISP_NOT_FOUND) {
		char *message = malloc(strlen("no link ") + strlen(code) + 1);
		if (message != NULL) {
			strcpy(message, "no link ");
			strcat(message, code);
		}
		json_error(404, message != NULL ? message : "no such link");
		free(message);
		return false;
	}
	if (st != WISP_OK) {
		json_fail(500);
		return false;
	}
	return true;
}

// follow redirects to code's URL, counting the hit unless count is false (HEAD).
static void follow(wisp_kv store, const char *code, bool count) {
	char *url;
	if (!get_link(store, code, &url)) {
		return;
	}
	char k[sizeof HITS_PREFIX + MAX_CODE];
	if (count && wisp_kv_increment(store, key(k, HITS_PREFIX, code), 1, NULL) != WISP_OK) {
		wisp_warn("hit not counted", "code", code, "error", wisp_errmsg());
	}
	wisp_redirect(302, url);
	free(url);
}

static void stats(wisp_kv store, const char *code) {
	char *url, *hits = NULL;
	if (!get_link(store, code, &url)) {
		return;
	}
	char k[sizeof HITS_PREFIX + MAX_CODE];
	int st = wisp_kv_get(store, key(k, HITS_PREFIX, code), &hits, NULL);
	if (st != WISP_OK && st != WISP_NOT_FOUND) {
		free(url);
		json_fail(500);
		return;
	}
	json_start(200);
	wisp_print("{\"code\":");
	wisp_print_json(code);
	wisp_print(",\"url\":");
	wisp_print_json(url);
	wisp_printf(",\"hits\":%lld}", hits != NULL ? strtoll(hits, NULL, 10) : 0LL);
	free(hits);
	free(url);
}

static void check(wisp_kv store, const char *code) {
	char *url;
	if (!get_link(store, code, &url)) {
		return;
	}
	wisp_http_response resp;
	int st = wisp_http_send("GET", url, NULL, NULL, 0, &resp);
	free(url);
	if (st != WISP_OK) {
		json_fail(502);
		return;
	}
	int status = 0;
	unsigned long long total = 0;
	static char buf[16384];
	size_t n;
	st = wisp_http_status(resp, &status);
	while (st == WISP_OK && (st = wisp_http_read(resp, buf, sizeof buf, &n)) == WISP_OK && n > 0) {
		total += n;
	}
	if (st != WISP_OK) {
		json_fail(502);
		wisp_http_close(resp);
		return;
	}
	wisp_http_close(resp);
	json_start(200);
	wisp_print("{\"code\":");
	wisp_print_json(code);
	wisp_printf(",\"status\":%d,\"bytes\":%llu}", status, total);
}

static void handle(void) {
	// HEAD is answered as GET (the gateway drops the body), without counting a hit.
	bool head = strcmp(wisp_method(), "HEAD") == 0;
	const char *method = head ? "GET" : wisp_method();
	const char *path = wisp_path();
	if (path[0] == '/') {
		path++;
	}
	wisp_kv store;
	if (wisp_kv_open("default", &store) != WISP_OK) {
		json_fail(500);
		return;
	}
	if (path[0] == '\0') {
		if (strcmp(method, "GET") != 0) {
			wisp_set_header("Allow", "GET, HEAD");
			json_error(405, "use GET");
			return;
		}
		list_links(store);
		return;
	}
	if (strcmp(method, "PUT") == 0) {
		save_link(store, path);
		return;
	}
	if (strcmp(method, "GET") != 0) {
		wisp_set_header("Allow", "GET, HEAD, PUT");
		json_error(405, "use GET, or PUT to save a link");
		return;
	}
	// CODE, CODE/stats or CODE/check.
	const char *slash = strchr(path, '/');
	char *code = strndup(path, slash != NULL ? (size_t)(slash - path) : strlen(path));
	if (code == NULL) {
		json_error(500, "out of memory");
	} else if (slash == NULL) {
		follow(store, code, !head);
	} else if (strcmp(slash, "/stats") == 0) {
		stats(store, code);
	} else if (strcmp(slash, "/check") == 0) {
		check(store, code);
	} else {
		json_error(404, "no such page: use /CODE, /CODE/stats or /CODE/check");
	}
	free(code);
}

WISP_HANDLER(handle)
