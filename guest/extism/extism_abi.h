/*
 * extism_abi.h: Extism's host ABI (the "extism:host/env" import module) for C
 * plugins, written for Wisp from Extism's documented function list and
 * signatures. It declares the imports and a few helpers; a plugin built
 * with it runs in any Extism host and in Wisp's plugin package.
 *
 * Extism memory is addressed by 64-bit offsets ("handles", 0 is none) that
 * the host owns: bytes move between it and the plugin's own memory with
 * load/store, one byte or eight at a time.
 */
#ifndef EXTISM_ABI_H
#define EXTISM_ABI_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t xhandle;

#define XIMPORT(name) __attribute__((import_module("extism:host/env"), import_name(name)))
#define XEXPORT(name) __attribute__((export_name(name)))

XIMPORT("input_length") extern uint64_t x_input_length(void);
XIMPORT("input_load_u8") extern uint8_t x_input_load_u8(uint64_t offset);
XIMPORT("input_load_u64") extern uint64_t x_input_load_u64(uint64_t offset);
XIMPORT("alloc") extern xhandle x_alloc(uint64_t n);
XIMPORT("free") extern void x_free(xhandle h);
XIMPORT("length") extern uint64_t x_length(xhandle h);
XIMPORT("load_u8") extern uint8_t x_load_u8(uint64_t p);
XIMPORT("load_u64") extern uint64_t x_load_u64(uint64_t p);
XIMPORT("store_u8") extern void x_store_u8(uint64_t p, uint8_t v);
XIMPORT("store_u64") extern void x_store_u64(uint64_t p, uint64_t v);
XIMPORT("output_set") extern void x_output_set(xhandle h, uint64_t n);
XIMPORT("error_set") extern void x_error_set(xhandle h);
XIMPORT("config_get") extern xhandle x_config_get(xhandle key);
XIMPORT("var_get") extern xhandle x_var_get(xhandle key);
XIMPORT("var_set") extern void x_var_set(xhandle key, xhandle value);
XIMPORT("http_request") extern xhandle x_http_request(xhandle req, xhandle body);
XIMPORT("http_status_code") extern int32_t x_http_status_code(void);
XIMPORT("http_headers") extern xhandle x_http_headers(void);
XIMPORT("log_info") extern void x_log_info(xhandle msg);
XIMPORT("log_error") extern void x_log_error(xhandle msg);

/* x_input reads the whole input into buf (at most cap bytes) and returns
 * its length. */
static inline size_t x_input(uint8_t *buf, size_t cap) {
	uint64_t n = x_input_length();
	if (n > cap)
		n = cap;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = x_input_load_u64(i);
		__builtin_memcpy(buf + i, &v, 8);
	}
	for (; i < n; i++)
		buf[i] = x_input_load_u8(i);
	return n;
}

/* x_put copies n bytes into a new block of Extism memory. */
static inline xhandle x_put(const void *src, size_t n) {
	const uint8_t *b = src;
	xhandle h = x_alloc(n);
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v;
		__builtin_memcpy(&v, b + i, 8);
		x_store_u64(h + i, v);
	}
	for (; i < n; i++)
		x_store_u8(h + i, b[i]);
	return h;
}

static inline xhandle x_put_str(const char *s) { return x_put(s, __builtin_strlen(s)); }

/* x_get copies a block into buf (at most cap bytes) and returns its length. */
static inline size_t x_get(xhandle h, void *buf, size_t cap) {
	uint8_t *b = buf;
	uint64_t n = x_length(h);
	if (n > cap)
		n = cap;
	size_t i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t v = x_load_u64(h + i);
		__builtin_memcpy(b + i, &v, 8);
	}
	for (; i < n; i++)
		b[i] = x_load_u8(h + i);
	return n;
}

/* x_output sets the call's output to n bytes of src. */
static inline void x_output(const void *src, size_t n) { x_output_set(x_put(src, n), n); }

/* x_error sets the call's error message; return nonzero after it. */
static inline void x_error(const char *msg) { x_error_set(x_put_str(msg)); }

#endif
