// fdbomb.c: opens the bundled file /static/file.txt again and again without
// closing it, until open fails or the invocation is killed. If open fails
// it answers 200 with
//
//	opened N files, then errno E (MESSAGE)
//
// It prints its progress to stderr every 100,000 opens.
//
// Build (or ./build.sh from tests/hostile/testdata):
//
//	clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-all -o fdbomb.wasm fdbomb.c
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>

int main(void) {
	long opened = 0;
	int err;
	for (;;) {
		int fd = open("/static/file.txt", O_RDONLY);
		if (fd < 0) {
			err = errno;
			break;
		}
		opened++;
		if (opened % 100000 == 0) {
			fprintf(stderr, "opened %ld files, last fd %d\n", opened, fd);
		}
	}
	printf("Content-Type: text/plain\n\nopened %ld files, then errno %d (%s)\n", opened, err, strerror(err));
	return 0;
}
