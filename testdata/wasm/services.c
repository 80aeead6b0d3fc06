// services.c: a test fixture that calls the guest ABI's platform services
// (docs/guest-abi.md) directly, without an SDK, as a script given in the
// environment variable SCRIPT: operations separated by ';', words by ' '.
// It prints one line per operation: "<op> <status>[ <result>]", and after a
// failed one ": <the host's last error>". A CGI header comes first, so it
// runs as an app too (the script then comes from the app's env or from
// the query string, whichever is set; the query's '+' separate words).
//
//   open NAME          open a key-value store (it becomes the current one)
//   set KEY VALUE [TTL_MS]   get KEY   getsmall KEY (2-byte buffer first)
//   peek KEY           only the get into a 2-byte buffer (prints the size needed)
//   longkey N          a set whose key is N bytes of 'k'
//   delete KEY   exists KEY   incr KEY DELTA   keys PREFIX [AFTER]
//   cas KEY OLD|- NEW  (- : expect absent)    handle N (use handle N)
//   var NAME   log LEVEL MESSAGE [KEY VALUE]
//   send METHOD URL [HEADER-LINE]  (prints status, content-type, body)
//   fault              a get whose buffer lies outside memory
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))

IMPORT("wisp:host/error@1", "last") int32_t err_last(char *buf, uint32_t cap, uint32_t *len);
IMPORT("wisp:keyvalue/store@1", "open") int32_t kv_open(const char *n, uint32_t nl, uint32_t *h);
IMPORT("wisp:keyvalue/store@1", "get") int32_t kv_get(uint32_t h, const char *k, uint32_t kl, char *buf, uint32_t cap, uint32_t *len);
IMPORT("wisp:keyvalue/store@1", "set") int32_t kv_set(uint32_t h, const char *k, uint32_t kl, const char *v, uint32_t vl, int64_t ttl);
IMPORT("wisp:keyvalue/store@1", "delete") int32_t kv_delete(uint32_t h, const char *k, uint32_t kl);
IMPORT("wisp:keyvalue/store@1", "exists") int32_t kv_exists(uint32_t h, const char *k, uint32_t kl);
IMPORT("wisp:keyvalue/store@1", "list_keys") int32_t kv_list(uint32_t h, const char *p, uint32_t pl, const char *a, uint32_t al, char *buf, uint32_t cap, uint32_t *len, uint32_t *more);
IMPORT("wisp:keyvalue/atomics@1", "increment") int32_t kv_incr(uint32_t h, const char *k, uint32_t kl, int64_t d, int64_t *out);
IMPORT("wisp:keyvalue/atomics@1", "compare_and_swap") int32_t kv_cas(uint32_t h, const char *k, uint32_t kl, const char *o, uint32_t ol, uint32_t absent, const char *n, uint32_t nl, uint32_t *swapped);
IMPORT("wisp:config/store@1", "get") int32_t cfg_get(const char *n, uint32_t nl, char *buf, uint32_t cap, uint32_t *len);
IMPORT("wisp:logging/logging@1", "log") int32_t log_log(uint32_t level, const char *c, uint32_t cl, const char *m, uint32_t ml, const char *f, uint32_t fl);
IMPORT("wisp:http/outgoing-handler@1", "send") int32_t http_send(const char *m, uint32_t ml, const char *u, uint32_t ul, const char *h, uint32_t hl, const char *b, uint32_t bl, uint32_t *resp);
IMPORT("wisp:http/outgoing-handler@1", "status") int32_t http_status(uint32_t r, uint32_t *st);
IMPORT("wisp:http/outgoing-handler@1", "header") int32_t http_header(uint32_t r, const char *n, uint32_t nl, char *buf, uint32_t cap, uint32_t *len);
IMPORT("wisp:http/outgoing-handler@1", "read") int32_t http_read(uint32_t r, char *buf, uint32_t cap, uint32_t *n);
IMPORT("wisp:http/outgoing-handler@1", "close") int32_t http_close(uint32_t r);

static uint32_t handle;
static char buf[65536];

static void result(const char *op, int32_t st, const char *text) {
	printf("%s %d", op, (int)st);
	if (text) printf(" %s", text);
	if (st > 2) {
		char msg[1024];
		uint32_t len = 0;
		if (err_last(msg, sizeof msg - 1, &len) == 0) {
			msg[len] = 0;
			printf(": %s", msg);
		}
	}
	printf("\n");
}

static const char *arg(char **w, int n, int i) { return i < n ? w[i] : ""; }

static void run(char **w, int n) {
	const char *op = w[0];
	char text[1024];
	uint32_t len = 0, u = 0;
	int32_t st;
	if (!strcmp(op, "open")) {
		st = kv_open(arg(w, n, 1), strlen(arg(w, n, 1)), &handle);
		snprintf(text, sizeof text, "%u", handle);
		result(op, st, st == 0 ? text : NULL);
	} else if (!strcmp(op, "handle")) {
		handle = (uint32_t)atoi(arg(w, n, 1));
		result(op, 0, NULL);
	} else if (!strcmp(op, "set")) {
		st = kv_set(handle, arg(w, n, 1), strlen(arg(w, n, 1)), arg(w, n, 2), strlen(arg(w, n, 2)), n > 3 ? atoll(w[3]) : 0);
		result(op, st, NULL);
	} else if (!strcmp(op, "get") || !strcmp(op, "getsmall")) {
		uint32_t cap = sizeof buf - 1;
		if (!strcmp(op, "getsmall")) {
			st = kv_get(handle, arg(w, n, 1), strlen(arg(w, n, 1)), buf, 2, &len);
			snprintf(text, sizeof text, "needs %u", len);
			result("small", st, text);
			if (st != 2) return;
			cap = len;
		}
		st = kv_get(handle, arg(w, n, 1), strlen(arg(w, n, 1)), buf, cap, &len);
		buf[st == 0 ? len : 0] = 0;
		result(op, st, st == 0 ? buf : NULL);
	} else if (!strcmp(op, "peek")) {
		st = kv_get(handle, arg(w, n, 1), strlen(arg(w, n, 1)), buf, 2, &len);
		snprintf(text, sizeof text, "needs %u", len);
		result(op, st, st == 2 ? text : NULL);
	} else if (!strcmp(op, "longkey")) {
		uint32_t kl = (uint32_t)atoi(arg(w, n, 1));
		if (kl > sizeof buf) kl = sizeof buf;
		memset(buf, 'k', kl);
		result(op, kv_set(handle, buf, kl, "v", 1, 0), NULL);
	} else if (!strcmp(op, "delete")) {
		result(op, kv_delete(handle, arg(w, n, 1), strlen(arg(w, n, 1))), NULL);
	} else if (!strcmp(op, "exists")) {
		result(op, kv_exists(handle, arg(w, n, 1), strlen(arg(w, n, 1))), NULL);
	} else if (!strcmp(op, "incr")) {
		int64_t v = 0;
		st = kv_incr(handle, arg(w, n, 1), strlen(arg(w, n, 1)), atoll(arg(w, n, 2)), &v);
		snprintf(text, sizeof text, "%lld", (long long)v);
		result(op, st, st == 0 ? text : NULL);
	} else if (!strcmp(op, "keys")) {
		st = kv_list(handle, arg(w, n, 1), strlen(arg(w, n, 1)), arg(w, n, 2), strlen(arg(w, n, 2)), buf, sizeof buf, &len, &u);
		if (st == 0) {
			for (uint32_t i = 0; i < len; i++)
				if (buf[i] == 0) buf[i] = ',';
			buf[len] = 0;
			snprintf(text, sizeof text, "more=%u %s", u, buf);
		}
		result(op, st, st == 0 ? text : NULL);
	} else if (!strcmp(op, "cas")) {
		int absent = !strcmp(arg(w, n, 2), "-");
		const char *old = absent ? "" : arg(w, n, 2);
		st = kv_cas(handle, arg(w, n, 1), strlen(arg(w, n, 1)), old, strlen(old), absent, arg(w, n, 3), strlen(arg(w, n, 3)), &u);
		snprintf(text, sizeof text, "swapped=%u", u);
		result(op, st, st == 0 ? text : NULL);
	} else if (!strcmp(op, "var")) {
		st = cfg_get(arg(w, n, 1), strlen(arg(w, n, 1)), buf, sizeof buf - 1, &len);
		buf[st == 0 ? len : 0] = 0;
		result(op, st, st == 0 ? buf : NULL);
	} else if (!strcmp(op, "log")) {
		char fields[512];
		uint32_t fl = 0;
		if (n > 4) fl = (uint32_t)snprintf(fields, sizeof fields, "%s%c%s%c", w[3], 0, w[4], 0);
		result(op, log_log((uint32_t)atoi(arg(w, n, 1)), "fixture", 7, arg(w, n, 2), strlen(arg(w, n, 2)), fields, fl), NULL);
	} else if (!strcmp(op, "send")) {
		const char *h = arg(w, n, 3);
		char hdr[256];
		snprintf(hdr, sizeof hdr, "%s", h);
		for (char *p = hdr; *p; p++)
			if (*p == '=') *p = ':'; // "Name=value": words cannot hold spaces
		uint32_t r = 0, code = 0;
		st = http_send(arg(w, n, 1), strlen(arg(w, n, 1)), arg(w, n, 2), strlen(arg(w, n, 2)), hdr, strlen(hdr), "", 0, &r);
		if (st != 0) {
			result(op, st, NULL);
			return;
		}
		http_status(r, &code);
		char ctype[128] = "";
		if (http_header(r, "content-type", 12, ctype, sizeof ctype - 1, &len) == 0) ctype[len] = 0;
		uint32_t total = 0, got = 0;
		while ((st = http_read(r, buf + total, sizeof buf - 1 - total, &got)) == 0 && got > 0) total += got;
		buf[total] = 0;
		http_close(r);
		snprintf(text, sizeof text, "%u %s %s", code, ctype, buf);
		result(op, st, text);
	} else if (!strcmp(op, "fault")) {
		result(op, kv_get(handle, "k", 1, (char *)0xFFFFFF00u, 1024, &len), NULL);
	} else {
		printf("%s unknown operation\n", op);
	}
}

int main(void) {
	const char *script = getenv("SCRIPT");
	const char *query = getenv("QUERY_STRING");
	if ((!script || !*script) && query) script = query;
	printf("Content-Type: text/plain\r\n\r\n");
	if (!script) return 0;
	char *s = strdup(script);
	for (char *p = s; *p; p++)
		if (*p == '+') *p = ' ';
	for (char *stmt = strtok(s, ";"); stmt; stmt = strtok(NULL, ";")) {
		char *w[8];
		int n = 0;
		char *save = NULL;
		for (char *t = strtok_r(stmt, " ", &save); t && n < 8; t = strtok_r(NULL, " ", &save)) w[n++] = t;
		if (n > 0) run(w, n);
	}
	return 0;
}
