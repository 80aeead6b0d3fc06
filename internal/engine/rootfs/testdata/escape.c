// escape.c: performs the file system operations named by its arguments, in
// order, and prints one line per operation: "ok", "ok DATA", or the name of
// the errno it failed with ("EPERM"). The rootfs tests run it with a
// directory mounted to check what a guest can and cannot reach.
//
//	read PATH            open O_RDONLY and print the contents
//	nofollow PATH        open O_RDONLY|O_NOFOLLOW and print the contents
//	write PATH DATA      open O_WRONLY|O_CREAT|O_TRUNC and write DATA
//	append PATH DATA     open O_WRONLY|O_APPEND and write DATA
//	create PATH          open O_WRONLY|O_CREAT|O_EXCL
//	opencreat PATH       open O_RDONLY|O_CREAT (creates, yet asks no write)
//	openwr PATH          open O_WRONLY (and close, writing nothing)
//	openrw PATH          open O_RDWR (and close, writing nothing)
//	opentrunc PATH       open O_RDONLY|O_TRUNC (truncates, yet asks no write)
//	writero PATH DATA    open O_RDONLY and write DATA (fd_write on it)
//	truncate PATH        truncate(PATH, 0)
//	ftruncate PATH       open O_RDONLY and ftruncate to 0 (fd_filestat_set_size)
//	fsync PATH           open O_RDONLY and fsync (fd_sync)
//	mkdir PATH           mkdir(PATH, 0755)
//	rmdir PATH           rmdir(PATH)
//	unlink PATH          unlink(PATH)
//	symlink TARGET PATH  symlink(TARGET, PATH)
//	readlink PATH        print the link's target
//	rename OLD NEW       rename(OLD, NEW)
//	link OLD NEW         link(OLD, NEW)
//	stat PATH            print "file SIZE", "dir" or "other"
//	lstat PATH           the same without following a link ("link")
//	ls PATH              print the directory's entries, sorted, without . and ..
//	touch PATH           set both times to 2001-09-09T01:46:40Z (1e9 s)
//	futimes PATH         the same through an open file descriptor
//
// Build (from this directory):
//
//	clang --target=wasm32-wasi -O2 -Wall -Wextra -Werror -Wl,--strip-all -o escape.wasm escape.c
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *errname(int e) {
	switch (e) {
	case EACCES: return "EACCES";
	case EBADF: return "EBADF";
	case EEXIST: return "EEXIST";
	case EINVAL: return "EINVAL";
	case EIO: return "EIO";
	case EISDIR: return "EISDIR";
	case ELOOP: return "ELOOP";
	case ENAMETOOLONG: return "ENAMETOOLONG";
	case ENOENT: return "ENOENT";
	case ENOSYS: return "ENOSYS";
	case ENOTCAPABLE: return "ENOTCAPABLE";
	case ENOTDIR: return "ENOTDIR";
	case ENOTEMPTY: return "ENOTEMPTY";
	case ENOTSUP: return "ENOTSUP";
	case EPERM: return "EPERM";
	case EROFS: return "EROFS";
	case EXDEV: return "EXDEV";
	}
	static char buf[16];
	snprintf(buf, sizeof buf, "E%d", e);
	return buf;
}

// done prints the outcome of one operation: "ok" when r is not negative,
// else errno's name.
static void done(int r) {
	if (r < 0) {
		puts(errname(errno));
	} else {
		puts("ok");
	}
}

static void print_contents(int fd) {
	if (fd < 0) {
		puts(errname(errno));
		return;
	}
	char buf[256];
	ssize_t n = read(fd, buf, sizeof buf - 1);
	int e = errno;
	close(fd);
	if (n < 0) {
		puts(errname(e));
		return;
	}
	buf[n] = 0;
	printf("ok %s\n", buf);
}

static void write_contents(int fd, const char *data) {
	if (fd < 0) {
		puts(errname(errno));
		return;
	}
	ssize_t n = write(fd, data, strlen(data));
	int e = errno;
	close(fd);
	done(n < 0 ? (errno = e, -1) : 0);
}

static void print_stat(const char *path, int follow) {
	struct stat st;
	int r = follow ? stat(path, &st) : lstat(path, &st);
	if (r < 0) {
		puts(errname(errno));
	} else if (S_ISREG(st.st_mode)) {
		printf("ok file %lld\n", (long long)st.st_size);
	} else if (S_ISDIR(st.st_mode)) {
		puts("ok dir");
	} else if (S_ISLNK(st.st_mode)) {
		puts("ok link");
	} else {
		puts("ok other");
	}
}

static int compare_strings(const void *a, const void *b) {
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list(const char *path) {
	DIR *d = opendir(path);
	if (!d) {
		puts(errname(errno));
		return;
	}
	char *names[64];
	int n = 0;
	struct dirent *e;
	while (n < 64 && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			names[n++] = strdup(e->d_name);
		}
	}
	closedir(d);
	qsort(names, n, sizeof names[0], compare_strings);
	fputs("ok", stdout);
	for (int i = 0; i < n; i++) {
		printf(" %s", names[i]);
		free(names[i]);
	}
	putchar('\n');
}

static const struct timespec times[2] = {{1000000000, 0}, {1000000000, 0}};

static void futimes_path(const char *path) {
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		puts(errname(errno));
		return;
	}
	int r = futimens(fd, times);
	int e = errno;
	close(fd);
	done(r < 0 ? (errno = e, -1) : 0);
}

int main(int argc, char **argv) {
	for (int i = 1; i < argc;) {
		const char *op = argv[i++];
		const char *a = i < argc ? argv[i] : NULL;
		const char *b = i + 1 < argc ? argv[i + 1] : NULL;
		int two = !strcmp(op, "write") || !strcmp(op, "append") || !strcmp(op, "writero") ||
		          !strcmp(op, "symlink") || !strcmp(op, "rename") || !strcmp(op, "link");
		if (!a || (two && !b)) {
			fprintf(stderr, "escape: %s: missing argument\n", op);
			return 2;
		}
		i += two ? 2 : 1;

		if (!strcmp(op, "read")) {
			print_contents(open(a, O_RDONLY));
		} else if (!strcmp(op, "nofollow")) {
			print_contents(open(a, O_RDONLY | O_NOFOLLOW));
		} else if (!strcmp(op, "write")) {
			write_contents(open(a, O_WRONLY | O_CREAT | O_TRUNC, 0644), b);
		} else if (!strcmp(op, "append")) {
			write_contents(open(a, O_WRONLY | O_APPEND), b);
		} else if (!strcmp(op, "create")) {
			int fd = open(a, O_WRONLY | O_CREAT | O_EXCL, 0644);
			done(fd < 0 ? -1 : close(fd));
		} else if (!strcmp(op, "opencreat")) {
			int fd = open(a, O_RDONLY | O_CREAT, 0644);
			done(fd < 0 ? -1 : close(fd));
		} else if (!strcmp(op, "openwr") || !strcmp(op, "openrw") || !strcmp(op, "opentrunc")) {
			int flags = !strcmp(op, "openwr") ? O_WRONLY : !strcmp(op, "openrw") ? O_RDWR : O_RDONLY | O_TRUNC;
			int fd = open(a, flags);
			done(fd < 0 ? -1 : close(fd));
		} else if (!strcmp(op, "writero")) {
			write_contents(open(a, O_RDONLY), b);
		} else if (!strcmp(op, "truncate")) {
			done(truncate(a, 0));
		} else if (!strcmp(op, "ftruncate") || !strcmp(op, "fsync")) {
			int fd = open(a, O_RDONLY);
			if (fd < 0) {
				puts(errname(errno));
				continue;
			}
			int r = !strcmp(op, "fsync") ? fsync(fd) : ftruncate(fd, 0);
			int e = errno;
			close(fd);
			done(r < 0 ? (errno = e, -1) : 0);
		} else if (!strcmp(op, "mkdir")) {
			done(mkdir(a, 0755));
		} else if (!strcmp(op, "rmdir")) {
			done(rmdir(a));
		} else if (!strcmp(op, "unlink")) {
			done(unlink(a));
		} else if (!strcmp(op, "symlink")) {
			done(symlink(a, b));
		} else if (!strcmp(op, "readlink")) {
			char buf[256];
			ssize_t n = readlink(a, buf, sizeof buf - 1);
			if (n < 0) {
				puts(errname(errno));
			} else {
				buf[n] = 0;
				printf("ok %s\n", buf);
			}
		} else if (!strcmp(op, "rename")) {
			done(rename(a, b));
		} else if (!strcmp(op, "link")) {
			done(link(a, b));
		} else if (!strcmp(op, "stat")) {
			print_stat(a, 1);
		} else if (!strcmp(op, "lstat")) {
			print_stat(a, 0);
		} else if (!strcmp(op, "ls")) {
			list(a);
		} else if (!strcmp(op, "touch")) {
			done(utimensat(AT_FDCWD, a, times, 0));
		} else if (!strcmp(op, "futimes")) {
			futimes_path(a);
		} else {
			fprintf(stderr, "escape: unknown operation %s\n", op);
			return 2;
		}
	}
	return 0;
}
