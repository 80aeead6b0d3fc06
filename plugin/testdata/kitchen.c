// kitchen.c: an Extism plugin in C, built against guest/extism/extism_abi.h (Extism's
// host ABI) and wasi-libc. Build (scripts/build-guests.sh):
//   clang --target=wasm32-wasi -mexec-model=reactor -O2 -I../../guest/extism -o kitchen.wasm kitchen.c
// Functions: count_vowels (Extism's example: input, config "vowels",
// variable "total"), greet (config "greeting"), fetch (http_request of the
// URL in the input), post (a POST with a body, and the response's
// headers from http_headers), risk (the host's extism:host/user risk_score) and
// fail (error_set).
#include <stdio.h>
#include <string.h>

#include "extism_abi.h"

__attribute__((import_module("extism:host/user"), import_name("risk_score")))
extern xhandle risk_score(xhandle input);

static uint8_t in[64 << 10];
static char out[72 << 10];

XEXPORT("count_vowels") int32_t count_vowels(void) {
	size_t n = x_input(in, sizeof in);
	char vowels[64] = "aeiouAEIOU";
	xhandle cfg = x_config_get(x_put_str("vowels"));
	if (cfg) {
		size_t m = x_get(cfg, vowels, sizeof vowels - 1);
		vowels[m] = 0;
		x_free(cfg);
	}
	uint64_t count = 0;
	for (size_t i = 0; i < n; i++)
		if (in[i] && strchr(vowels, in[i]))
			count++;
	uint64_t total = 0;
	xhandle v = x_var_get(x_put_str("total"));
	if (v) {
		if (x_length(v) == 8)
			total = x_load_u64(v);
		x_free(v);
	}
	total += count;
	xhandle tv = x_alloc(8);
	x_store_u64(tv, total);
	x_var_set(x_put_str("total"), tv);
	int len = snprintf(out, sizeof out, "{\"count\":%llu,\"total\":%llu,\"vowels\":\"%s\"}",
	                   (unsigned long long)count, (unsigned long long)total, vowels);
	x_output(out, (size_t)len);
	return 0;
}

XEXPORT("greet") int32_t greet(void) {
	size_t n = x_input(in, sizeof in - 1);
	in[n] = 0;
	char greeting[128] = "Hello";
	xhandle cfg = x_config_get(x_put_str("greeting"));
	if (cfg) {
		size_t m = x_get(cfg, greeting, sizeof greeting - 1);
		greeting[m] = 0;
	}
	int len = snprintf(out, sizeof out, "%s, %s!", greeting, (char *)in);
	x_output(out, (size_t)len);
	return 0;
}

XEXPORT("fetch") int32_t fetch(void) {
	size_t n = x_input(in, sizeof in - 1);
	in[n] = 0;
	char req[1024];
	int len = snprintf(req, sizeof req, "{\"url\":\"%s\",\"method\":\"GET\",\"headers\":{\"X-Plugin\":\"kitchen\"}}", (char *)in);
	xhandle resp = x_http_request(x_put(req, (size_t)len), 0);
	int32_t status = x_http_status_code();
	char body[64 << 10];
	size_t m = resp ? x_get(resp, body, sizeof body - 1) : 0;
	body[m] = 0;
	len = snprintf(out, sizeof out, "%d %s", status, body);
	x_output(out, (size_t)len);
	return 0;
}

// post sends "ping" to the URL of its input and answers the status, the
// body and the response headers' JSON.
XEXPORT("post") int32_t post(void) {
	size_t n = x_input(in, sizeof in - 1);
	in[n] = 0;
	char req[1024];
	int len = snprintf(req, sizeof req, "{\"url\":\"%s\",\"method\":\"POST\",\"headers\":{\"Content-Type\":\"text/plain\"}}", (char *)in);
	xhandle resp = x_http_request(x_put(req, (size_t)len), x_put_str("ping"));
	char body[1024], headers[1024];
	size_t m = resp ? x_get(resp, body, sizeof body - 1) : 0;
	body[m] = 0;
	xhandle h = x_http_headers();
	size_t k = h ? x_get(h, headers, sizeof headers - 1) : 0;
	headers[k] = 0;
	len = snprintf(out, sizeof out, "%d %s %s", x_http_status_code(), body, headers);
	x_output(out, (size_t)len);
	return 0;
}

XEXPORT("risk") int32_t risk(void) {
	size_t n = x_input(in, sizeof in);
	xhandle r = risk_score(x_put(in, n));
	char score[64];
	size_t m = x_get(r, score, sizeof score - 1);
	score[m] = 0;
	int len = snprintf(out, sizeof out, "score=%s", score);
	x_output(out, (size_t)len);
	return 0;
}

XEXPORT("fail") int32_t fail(void) {
	x_error("something went wrong");
	return 1;
}

XEXPORT("log") int32_t log_it(void) {
	x_log_info(x_put_str("info from C"));
	x_log_error(x_put_str("error from C"));
	fprintf(stderr, "stderr from C\n");
	return 0;
}
