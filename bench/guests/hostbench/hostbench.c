// hostbench.c: the guest side of bench/hostcalls. It repeats one host
// call N times (env OP and N) so the per-call cost can be told apart from
// the instance's: OP is none, get (key "k" of store "default"), set, var
// (variable "greeting") or send (GET $URL, body read, response closed).
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
IMPORT("wisp:keyvalue/store@1", "open") int32_t kv_open(const char *n, uint32_t nl, uint32_t *h);
IMPORT("wisp:keyvalue/store@1", "get") int32_t kv_get(uint32_t h, const char *k, uint32_t kl, char *buf, uint32_t cap, uint32_t *len);
IMPORT("wisp:keyvalue/store@1", "set") int32_t kv_set(uint32_t h, const char *k, uint32_t kl, const char *v, uint32_t vl, int64_t ttl);
IMPORT("wisp:config/store@1", "get") int32_t cfg_get(const char *n, uint32_t nl, char *buf, uint32_t cap, uint32_t *len);
IMPORT("wisp:http/outgoing-handler@1", "send") int32_t http_send(const char *m, uint32_t ml, const char *u, uint32_t ul, const char *h, uint32_t hl, const char *b, uint32_t bl, uint32_t *resp);
IMPORT("wisp:http/outgoing-handler@1", "read") int32_t http_read(uint32_t r, char *buf, uint32_t cap, uint32_t *n);
IMPORT("wisp:http/outgoing-handler@1", "close") int32_t http_close(uint32_t r);

static char buf[4096];

int main(void) {
	const char *op = getenv("OP"), *url = getenv("URL");
	int n = atoi(getenv("N") ? getenv("N") : "0");
	uint32_t h = 0, len = 0, r = 0;
	int32_t st = 0;
	if (!op) op = "none";
	if (!strcmp(op, "get") || !strcmp(op, "set")) st = kv_open("default", 7, &h);
	for (int i = 0; i < n && st == 0; i++) {
		if (!strcmp(op, "get")) {
			st = kv_get(h, "k", 1, buf, sizeof buf, &len);
		} else if (!strcmp(op, "set")) {
			st = kv_set(h, "k", 1, "value-0123456789", 16, 0);
		} else if (!strcmp(op, "var")) {
			st = cfg_get("greeting", 8, buf, sizeof buf, &len);
		} else if (!strcmp(op, "send")) {
			st = http_send("GET", 3, url, strlen(url), "", 0, "", 0, &r);
			while (st == 0 && (st = http_read(r, buf, sizeof buf, &len)) == 0 && len > 0) {
			}
			http_close(r);
		}
	}
	printf("Content-Type: text/plain\r\n\r\n%s %d\n", st == 0 ? "ok" : "failed", (int)st);
	return st;
}
