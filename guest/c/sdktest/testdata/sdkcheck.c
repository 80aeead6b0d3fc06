// sdkcheck.c exercises every function of the C SDK for sdk_test.go, which
// runs it against fake services. Each request's PATH_INFO picks a
// scenario; "/services" prints one line per call, in the format
// sdkcheck.rs prints too, so one expected text checks both SDKs. Built as a reactor (WISP_HANDLER), or as a command with
// -DCOMMAND (WISP_MAIN).
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wisp.h"

static void line(const char *format, ...) __attribute__((format(printf, 1, 2)));
static void line(const char *format, ...) {
	char buf[512];
	va_list ap;
	va_start(ap, format);
	vsnprintf(buf, sizeof buf, format, ap);
	va_end(ap);
	wisp_print(buf);
	wisp_print("\n");
}

// result prints what, the status and, for the host's statuses, its message.
static void result(const char *what, int st) {
	if (st == WISP_OK) {
		line("%s OK", what);
	} else if (st >= WISP_DENIED && st <= WISP_CONFLICT) {
		line("%s %s: %s", what, wisp_status_name(st), wisp_errmsg());
	} else {
		line("%s %s", what, wisp_status_name(st));
	}
}

static const char *or_none(const char *s) { return s != NULL ? s : "(none)"; }

static void request(void) {
	line("method %s path %s", wisp_method(), wisp_path());
	line("query q=%s missing=%s", or_none(wisp_query_param("q")), or_none(wisp_query_param("missing")));
	line("header x-test=%s content-type=%s", or_none(wisp_header("x-test")), or_none(wisp_header("Content-Type")));
	const wisp_params *form;
	int st = wisp_form(100, &form);
	result("form", st);
	if (st == WISP_OK) {
		line("form f=%s g=%s", or_none(wisp_params_get(form, "f")), or_none(wisp_params_get(form, "g")));
	}
	const char *body;
	size_t len;
	result("body 5", wisp_body(5, &body, &len));
	st = wisp_body(100, &body, &len);
	result("body 100", st);
	if (st == WISP_OK) {
		line("body %zu %s", len, body);
	}
}

static void get(wisp_kv s, const char *key) {
	char *v = NULL;
	size_t n = 0;
	char what[600];
	snprintf(what, sizeof what, "get %s", key);
	int st = wisp_kv_get(s, key, &v, &n);
	if (st == WISP_OK) {
		line("%s OK %zu %.20s", what, n, v);
		free(v);
	} else {
		result(what, st);
	}
}

static void exists(wisp_kv s, const char *key) {
	bool found = false;
	int st = wisp_kv_exists(s, key, &found);
	if (st == WISP_OK) {
		line("exists %s %s", key, found ? "true" : "false");
	} else {
		result("exists", st);
	}
}

static void incr(wisp_kv s, const char *key, int64_t delta) {
	int64_t n = 0;
	int st = wisp_kv_increment(s, key, delta, &n);
	if (st == WISP_OK) {
		line("incr %s %lld", key, (long long)n);
	} else {
		result("incr", st);
	}
}

static void cas(wisp_kv s, const char *key, const char *old, const char *new_value) {
	bool swapped = false;
	int st = wisp_kv_cas(s, key, old, old != NULL ? strlen(old) : 0, new_value, strlen(new_value), &swapped);
	if (st == WISP_OK) {
		line("cas %s %s", key, swapped ? "swapped" : "kept");
	} else {
		result("cas", st);
	}
}

static void keys(const char *what, const wisp_keys *k) {
	line("%s %zu more=%d %s..%s", what, k->count, k->more, k->count > 0 ? k->keys[0] : "",
		k->count > 0 ? k->keys[k->count - 1] : "");
}

static void kv(void) {
	wisp_kv s;
	result("open other", wisp_kv_open("other", &s));
	result("open default", wisp_kv_open("default", &s));
	result("set k", wisp_kv_set(s, "k", "v1", 2, 0));
	get(s, "k");
	get(s, "nope");
	exists(s, "k");
	exists(s, "nope");
	result("delete k", wisp_kv_delete(s, "k"));
	exists(s, "k");
	result("set empty key", wisp_kv_set(s, "", "v", 1, 0));
	char *big = malloc(5000);
	memset(big, 'x', 5000);
	result("set big", wisp_kv_set(s, "big", big, 5000, 0));
	free(big);
	get(s, "big");
	result("set ttl", wisp_kv_set(s, "t", "v", 1, 60000));
	incr(s, "n", 5);
	incr(s, "n", -2);
	result("set s", wisp_kv_set(s, "s", "word", 4, 0));
	incr(s, "s", 1);
	cas(s, "c", NULL, "v1");
	cas(s, "c", NULL, "v2");
	cas(s, "c", "v1", "v3");
	cas(s, "c", "v1", "v4");
	get(s, "c");
	wisp_keys page, all;
	if (wisp_kv_list(s, "p:", NULL, &page) == WISP_OK) {
		keys("list p:", &page);
		char after[64];
		snprintf(after, sizeof after, "%s", page.keys[page.count - 1]);
		wisp_keys_free(&page);
		if (wisp_kv_list(s, "p:", after, &page) == WISP_OK) {
			keys("list p: after", &page);
			wisp_keys_free(&page);
		}
	}
	if (wisp_kv_list_all(s, "p:", &all) == WISP_OK) {
		keys("list all p:", &all);
		wisp_keys_free(&all);
	}
	if (wisp_kv_list_all(s, "zz", &all) == WISP_OK) {
		keys("list all zz", &all);
		wisp_keys_free(&all);
	}
}

static void var(const char *name) {
	char *v = NULL;
	char what[80];
	snprintf(what, sizeof what, "var %s", name);
	int st = wisp_var(name, &v);
	if (st == WISP_OK) {
		line("%s OK %s", what, v);
		free(v);
	} else {
		result(what, st);
	}
}

static void outbound(void) {
	wisp_http_response r;
	int st = wisp_http_send("POST", "http://upstream.test/x", "X-Test: yes\nX-Other: 2", "payload", 7, &r);
	result("send", st);
	if (st != WISP_OK) {
		return;
	}
	int status = 0;
	result("status", wisp_http_status(r, &status));
	line("status %d", status);
	char *v = NULL;
	if (wisp_http_header(r, "content-type", &v) == WISP_OK) {
		line("header content-type %s", v);
		free(v);
	}
	result("header missing", wisp_http_header(r, "X-Missing", &v));
	if (wisp_http_headers(r, &v) == WISP_OK) {
		line("headers %s", strstr(v, "Content-Type: text/x-test\n") != NULL ? "has Content-Type" : v);
		free(v);
	}
	char *body = NULL;
	size_t len = 0;
	result("read all 5", wisp_http_read_all(r, 5, &body, &len));
	result("close", wisp_http_close(r));
	st = wisp_http_send(NULL, "http://upstream.test/y", NULL, NULL, 0, &r);
	if (st == WISP_OK && wisp_http_read_all(r, 1000, &body, &len) == WISP_OK) {
		line("read all %zu %s", len, body);
		free(body);
		wisp_http_close(r);
	}
	result("send other", wisp_http_send("GET", "http://other.test/", NULL, NULL, 0, &r));
}

static void services(void) {
	wisp_set_header("Content-Type", "text/plain");
	request();
	kv();
	var("greeting");
	var("unset");
	var("undeclared");
	result("log", wisp_info("saved", "code", "abc", "n", "1"));
	const char *fields[] = {"k", "v"};
	result("log context", wisp_log_fields(WISP_LOG_WARN, "ctx", "careful", fields, 2));
	outbound();
}

static void response(void) {
	result("log odd", wisp_log(WISP_LOG_INFO, "odd", "k", NULL));
	result("status 99", wisp_set_status(99));
	result("header bad name", wisp_set_header("X A", "1"));
	result("header status", wisp_set_header("Status", "200"));
	result("header injection", wisp_set_header("X-A", "a\nStatus: 200"));
	wisp_set_header("X-A", "1");
	wisp_set_header("x-a", "2");
	wisp_add_header("Set-Cookie", "a=1");
	wisp_add_header("Set-Cookie", "b=2");
	wisp_set_header("Content-Type", "application/json");
	wisp_print("{\"s\":");
	wisp_print_json("q\"\\\n\x01\xc3\xa9\xff!");
	wisp_printf(",\"n\":%d}", 7);
	wisp_respond(201, NULL, NULL);
	result("after finish", wisp_print("late"));
}

static void handle(void) {
	const char *path = wisp_path();
	if (strcmp(path, "/services") == 0) {
		services();
	} else if (strcmp(path, "/response") == 0) {
		response();
	} else if (strcmp(path, "/redirect") == 0) {
		wisp_redirect(307, "/elsewhere");
	} else if (strcmp(path, "/exit") == 0) {
		wisp_print("written by the atexit guard\n");
		exit(0);
	}
	// "/none": no response at all.
}

#ifdef COMMAND
WISP_MAIN(handle)
#else
WISP_HANDLER(handle)
#endif
