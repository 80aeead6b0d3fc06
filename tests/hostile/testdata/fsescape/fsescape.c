// fsescape.c: tries to reach host files from inside a deployed app. Each
// argument (WAGI passes the '&'-separated query elements, not decoded) is
// one attempt, "OP=PATH" with %XX escapes decoded, and gives one line:
//
//	OP PATH: ok DETAIL          the operation succeeded
//	OP PATH: errno N (MESSAGE)  it failed with errno N
//
// Operations:
//
//	read=PATH     open PATH read-only, read up to 256 bytes; DETAIL is
//	              "N bytes: TEXT" with the text up to its first newline
//	list=PATH     list the directory PATH; DETAIL is the names
//	stat=PATH     stat PATH; DETAIL is its type and size
//	write=PATH    create or truncate PATH and write "pwned"
//	append=PATH   open PATH for appending and write "pwned"
//	mkdir=PATH    create the directory PATH
//	rmdir=PATH    remove the directory PATH
//	unlink=PATH   remove the file PATH
//	rename=A,B    rename A to B
//	symlink=T,L   create the symlink L pointing to T
//	link=A,B      create the hard link B to A
//	rawopen=PATH  call path_open directly on descriptor 3 (the first
//	              preopened directory), without wasi-libc's path handling,
//	              and read up to 256 bytes as read= does
//	rawcreate=PATH  path_open with O_CREAT on descriptor 3, then write
//	              "pwned"
//	preopens=     list the preopened directories (descriptors 3 and up)
//
// It always answers 200 text/plain, the attempts' lines as the body.
//
// Build (or ./build.sh from tests/hostile/testdata):
//
//	clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-all -o fsescape.wasm fsescape.c
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <wasi/api.h>

static void decode(char *s) {
	char *out = s;
	for (; *s; s++) {
		if (s[0] == '%' && s[1] && s[2]) {
			char hex[3] = {s[1], s[2], 0};
			*out++ = (char)strtol(hex, NULL, 16);
			s += 2;
		} else {
			*out++ = *s;
		}
	}
	*out = 0;
}

static void fail(const char *op, const char *path) {
	int e = errno;
	printf("%s %s: errno %d (%s)\n", op, path, e, strerror(e));
}

static void fail_wasi(const char *op, const char *path, __wasi_errno_t e) {
	printf("%s %s: errno %d (%s)\n", op, path, (int)e, strerror((int)e));
}

static void do_read(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		fail("read", path);
		return;
	}
	char buf[257];
	ssize_t n = read(fd, buf, 256);
	if (n < 0) {
		fail("read", path);
		close(fd);
		return;
	}
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl) {
		*nl = 0;
	}
	printf("read %s: ok %ld bytes: %s\n", path, (long)n, buf);
	close(fd);
}

static void do_list(const char *path) {
	DIR *d = opendir(path);
	if (!d) {
		fail("list", path);
		return;
	}
	printf("list %s: ok", path);
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		printf(" %s", e->d_name);
	}
	printf("\n");
	closedir(d);
}

static void do_stat(const char *path) {
	struct stat st;
	if (stat(path, &st) != 0) {
		fail("stat", path);
		return;
	}
	printf("stat %s: ok %s %lld bytes\n", path, S_ISDIR(st.st_mode) ? "dir" : S_ISREG(st.st_mode) ? "file" : "other",
	       (long long)st.st_size);
}

static void do_write(const char *op, const char *path, int flags) {
	int fd = open(path, flags, 0644);
	if (fd < 0) {
		fail(op, path);
		return;
	}
	if (write(fd, "pwned", 5) != 5) {
		fail(op, path);
		close(fd);
		return;
	}
	printf("%s %s: ok wrote 5 bytes\n", op, path);
	close(fd);
}

// two splits "A,B" into a and b; it returns 0 if there is no comma.
static int two(char *arg, char **a, char **b) {
	char *comma = strchr(arg, ',');
	if (!comma) {
		return 0;
	}
	*comma = 0;
	*a = arg;
	*b = comma + 1;
	return 1;
}

static void do_pair(const char *op, char *arg) {
	char *a, *b;
	if (!two(arg, &a, &b)) {
		printf("%s %s: bad argument, want A,B\n", op, arg);
		return;
	}
	int r;
	if (strcmp(op, "rename") == 0) {
		r = rename(a, b);
	} else if (strcmp(op, "symlink") == 0) {
		r = symlink(a, b);
	} else {
		r = link(a, b);
	}
	if (r != 0) {
		int e = errno;
		printf("%s %s,%s: errno %d (%s)\n", op, a, b, e, strerror(e));
		return;
	}
	printf("%s %s,%s: ok\n", op, a, b);
}

static void do_rawopen(const char *path) {
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(3, 0, path, 0, __WASI_RIGHTS_FD_READ, 0, 0, &fd);
	if (e != 0) {
		fail_wasi("rawopen", path, e);
		return;
	}
	char buf[257];
	__wasi_iovec_t iov = {(uint8_t *)buf, 256};
	__wasi_size_t n = 0;
	e = __wasi_fd_read(fd, &iov, 1, &n);
	if (e != 0) {
		fail_wasi("rawopen", path, e);
		(void)__wasi_fd_close(fd);
		return;
	}
	buf[n] = 0;
	char *nl = strchr(buf, '\n');
	if (nl) {
		*nl = 0;
	}
	printf("rawopen %s: ok %lu bytes: %s\n", path, (unsigned long)n, buf);
	(void)__wasi_fd_close(fd);
}

static void do_rawcreate(const char *path) {
	__wasi_fd_t fd;
	__wasi_errno_t e = __wasi_path_open(3, 0, path, __WASI_OFLAGS_CREAT, __WASI_RIGHTS_FD_WRITE, 0, 0, &fd);
	if (e != 0) {
		fail_wasi("rawcreate", path, e);
		return;
	}
	__wasi_ciovec_t iov = {(const uint8_t *)"pwned", 5};
	__wasi_size_t n = 0;
	e = __wasi_fd_write(fd, &iov, 1, &n);
	(void)__wasi_fd_close(fd);
	if (e != 0) {
		fail_wasi("rawcreate", path, e);
		return;
	}
	printf("rawcreate %s: ok wrote %lu bytes\n", path, (unsigned long)n);
}

static void do_preopens(void) {
	printf("preopens:");
	for (__wasi_fd_t fd = 3; fd < 64; fd++) {
		__wasi_prestat_t ps;
		if (__wasi_fd_prestat_get(fd, &ps) != 0) {
			break;
		}
		char name[256];
		size_t len = ps.u.dir.pr_name_len < 255 ? ps.u.dir.pr_name_len : 255;
		if (__wasi_fd_prestat_dir_name(fd, (uint8_t *)name, len) != 0) {
			break;
		}
		name[len] = 0;
		printf(" %u=%s", (unsigned)fd, name);
	}
	printf("\n");
}

int main(int argc, char **argv) {
	printf("Content-Type: text/plain\n\n");
	for (int i = 1; i < argc; i++) {
		char *arg = argv[i];
		char *eq = strchr(arg, '=');
		if (!eq) {
			printf("%s: bad argument, want OP=PATH\n", arg);
			continue;
		}
		*eq = 0;
		char *op = arg, *path = eq + 1;
		decode(path);
		if (strcmp(op, "read") == 0) {
			do_read(path);
		} else if (strcmp(op, "list") == 0) {
			do_list(path);
		} else if (strcmp(op, "stat") == 0) {
			do_stat(path);
		} else if (strcmp(op, "write") == 0) {
			do_write("write", path, O_WRONLY | O_CREAT | O_TRUNC);
		} else if (strcmp(op, "append") == 0) {
			do_write("append", path, O_WRONLY | O_APPEND);
		} else if (strcmp(op, "mkdir") == 0) {
			if (mkdir(path, 0755) != 0) {
				fail("mkdir", path);
			} else {
				printf("mkdir %s: ok\n", path);
			}
		} else if (strcmp(op, "rmdir") == 0) {
			if (rmdir(path) != 0) {
				fail("rmdir", path);
			} else {
				printf("rmdir %s: ok\n", path);
			}
		} else if (strcmp(op, "unlink") == 0) {
			if (unlink(path) != 0) {
				fail("unlink", path);
			} else {
				printf("unlink %s: ok\n", path);
			}
		} else if (strcmp(op, "rename") == 0 || strcmp(op, "symlink") == 0 || strcmp(op, "link") == 0) {
			do_pair(op, path);
		} else if (strcmp(op, "rawopen") == 0) {
			do_rawopen(path);
		} else if (strcmp(op, "rawcreate") == 0) {
			do_rawcreate(path);
		} else if (strcmp(op, "preopens") == 0) {
			do_preopens();
		} else {
			printf("%s: unknown operation\n", op);
		}
	}
	return 0;
}
