// echo.c: a Wisp app in C that answers with what it was asked.
//
// Build (or run scripts/build-guests.sh from the repository root):
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o echo.wasm echo.c
//
// Debian's wasi-libc lives in /usr/include/wasm32-wasi and /usr/lib/wasm32-wasi,
// where clang finds it without --sysroot; with wasi-sdk add
// --sysroot=/path/to/wasi-sysroot.
//
// Wisp runs the module once per request, CGI style: request details are
// environment variables (REQUEST_METHOD, PATH_INFO, QUERY_STRING, HTTP_*...),
// query parameters are also the arguments, the body is stdin, and the CGI
// response (headers, a blank line, the body) goes to stdout. stderr goes to
// the app log.
//
// The answer lists the method, path info, query string, arguments, every
// HTTP_* header (sorted), the request body and the content of the bundled
// file /static/greeting.txt. A path info ending in /status/NNN answers with
// status NNN, to show how a CGI Status header works.
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static const char *getenv_or_empty(const char *name) {
	const char *v = getenv(name);
	return v != NULL ? v : "";
}

// status_from_path returns NNN when path ends in "/status/NNN" with NNN in
// 100..599, and 0 otherwise. Matching the end makes it work whether the
// path info holds the whole request path or only the part after the route.
static int status_from_path(const char *path) {
	const char *suffix = "/status/";
	size_t n = strlen(suffix), len = strlen(path);
	if (len < n + 3 || strncmp(path + len - n - 3, suffix, n) != 0) {
		return 0;
	}
	const char *d = path + len - 3; // the three digits
	if (d[0] < '1' || d[0] > '5' || d[1] < '0' || d[1] > '9' || d[2] < '0' || d[2] > '9') {
		return 0;
	}
	return (d[0] - '0') * 100 + (d[1] - '0') * 10 + (d[2] - '0');
}

static const char *reason_phrase(int status) {
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 409: return "Conflict";
	case 418: return "I'm a teapot";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	default: return "Status";
	}
}

static int compare_strings(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void print_headers(void) {
	size_t n = 0;
	for (char **e = environ; *e != NULL; e++) {
		n++;
	}
	char **headers = malloc((n + 1) * sizeof *headers);
	if (headers == NULL) {
		fputs("echo: out of memory listing headers\n", stderr);
		return;
	}
	size_t count = 0;
	for (char **e = environ; *e != NULL; e++) {
		if (strncmp(*e, "HTTP_", 5) == 0) {
			headers[count++] = *e;
		}
	}
	qsort(headers, count, sizeof *headers, compare_strings);
	printf("headers (%zu):\n", count);
	for (size_t i = 0; i < count; i++) {
		const char *eq = strchr(headers[i], '=');
		int name_len = eq != NULL ? (int)(eq - headers[i]) : (int)strlen(headers[i]);
		printf("  %.*s: %s\n", name_len, headers[i], eq != NULL ? eq + 1 : "");
	}
	free(headers);
}

// print_body copies stdin to stdout: CONTENT_LENGTH bytes when it is set,
// otherwise everything up to EOF.
static void print_body(void) {
	const char *cl = getenv("CONTENT_LENGTH");
	unsigned long long want = (unsigned long long)-1;
	if (cl != NULL && *cl != '\0') {
		want = strtoull(cl, NULL, 10);
	}
	char *body = NULL;
	size_t len = 0, cap = 0;
	while (len < want) {
		if (len == cap) {
			cap = cap == 0 ? 4096 : cap * 2;
			char *grown = realloc(body, cap);
			if (grown == NULL) {
				fputs("echo: out of memory reading the body\n", stderr);
				break;
			}
			body = grown;
		}
		size_t room = cap - len;
		if (want - len < room) {
			room = (size_t)(want - len);
		}
		size_t got = fread(body + len, 1, room, stdin);
		if (got == 0) {
			break;
		}
		len += got;
	}
	printf("body (%zu bytes):\n", len);
	if (len > 0) {
		fwrite(body, 1, len, stdout);
		if (body[len - 1] != '\n') {
			putchar('\n');
		}
	}
	free(body);
}

// print_greeting shows the bundled static file, mounted read-only at /static.
static void print_greeting(void) {
	const char *path = "/static/greeting.txt";
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		printf("%s: cannot open: %s\n", path, strerror(errno));
		return;
	}
	printf("%s:\n", path);
	char buf[1024];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0) {
		fwrite(buf, 1, got, stdout);
	}
	fclose(f);
}

int main(int argc, char **argv) {
	const char *path_info = getenv_or_empty("PATH_INFO");
	int status = status_from_path(path_info);
	if (status != 0) {
		printf("Status: %d %s\n", status, reason_phrase(status));
	}
	fputs("Content-Type: text/plain; charset=utf-8\n\n", stdout);

	printf("method: %s\n", getenv_or_empty("REQUEST_METHOD"));
	printf("path_info: %s\n", path_info);
	printf("query_string: %s\n", getenv_or_empty("QUERY_STRING"));
	printf("args (%d):\n", argc);
	for (int i = 0; i < argc; i++) {
		printf("  argv[%d]: %s\n", i, argv[i]);
	}
	print_headers();
	print_body();
	print_greeting();

	fprintf(stderr, "echo: %s %s answered\n", getenv_or_empty("REQUEST_METHOD"), path_info);
	return 0;
}
