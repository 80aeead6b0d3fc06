// printenv.c: shows exactly what the node passed to the guest, to test the
// CGI mapping end to end. It answers text/plain with
//
//	one KEY=VALUE line per environment variable, sorted by byte value
//	argv[i]=VALUE for every argument, argv[0] included
//	stdin=CONTENTS, everything read from stdin up to EOF
//
// Build (or run scripts/build-guests.sh):
//
//	clang --target=wasm32-wasi -O2 -Wl,--strip-all -o printenv.wasm printenv.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

static int compare_strings(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int main(int argc, char **argv) {
	size_t n = 0;
	while (environ[n] != NULL) {
		n++;
	}
	char **sorted = malloc((n + 1) * sizeof *sorted);
	if (sorted == NULL) {
		return 1;
	}
	memcpy(sorted, environ, n * sizeof *sorted);
	qsort(sorted, n, sizeof *sorted, compare_strings);

	fputs("Content-Type: text/plain\n\n", stdout);
	for (size_t i = 0; i < n; i++) {
		printf("%s\n", sorted[i]);
	}
	for (int i = 0; i < argc; i++) {
		printf("argv[%d]=%s\n", i, argv[i]);
	}
	fputs("stdin=", stdout);
	char buf[4096];
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, stdin)) > 0) {
		fwrite(buf, 1, got, stdout);
	}
	free(sorted);
	return ferror(stdin) ? 1 : 0;
}
