// hello.c: the C hello of the peer benchmark (bench/compare). It answers
// every request with a CGI response: a Content-Type header, a blank line
// and "Hello, world!". It reads nothing, so its cost is wasi-libc's start-up
// and one write.
//
// Build: bench/guests/build.sh (clang --target=wasm32-wasi with wasi-libc).
#include <stdio.h>

int main(void) {
	fputs("Content-Type: text/plain\n\nHello, world!\n", stdout);
	return 0;
}
