// high_amount.c: a rule in C (an Extism plugin, guest/extism/extism_abi.h):
// flags a payment whose "amount" is above the configured "limit" (default
// 1000). Output: "flag: <reason>" or "pass".
// Build (scripts/build-guests.sh):
//   clang --target=wasm32-wasi -mexec-model=reactor -O2 -I../../../guest/extism -o high_amount.wasm high_amount.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "extism_abi.h"

static uint8_t event[16 << 10];
static char out[256];

XEXPORT("evaluate") int32_t evaluate(void) {
	size_t n = x_input(event, sizeof event - 1);
	event[n] = 0;
	long limit = 1000;
	xhandle cfg = x_config_get(x_put_str("limit"));
	if (cfg) {
		char buf[32];
		size_t m = x_get(cfg, buf, sizeof buf - 1);
		buf[m] = 0;
		limit = strtol(buf, NULL, 10);
	}
	const char *field = strstr((const char *)event, "\"amount\":");
	if (!field) {
		x_error("event has no \"amount\" field");
		return 1;
	}
	long amount = strtol(field + strlen("\"amount\":"), NULL, 10);
	int len = amount > limit ? snprintf(out, sizeof out, "flag: amount %ld over %ld", amount, limit)
	                         : snprintf(out, sizeof out, "pass");
	x_output(out, (size_t)len);
	return 0;
}
