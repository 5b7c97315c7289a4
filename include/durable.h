/*
 * Crash-safe files: a file is written under a temporary name in its final
 * directory, fsynced, renamed over the final name and the directory is
 * fsynced, so a reader (or the next start after a kill -9 or a power cut)
 * sees the old file or the new one, never a part of one.
 */
#ifndef DURABLE_H
#define DURABLE_H

#include <sys/types.h>

#include <stddef.h>

/*
 * The write(2) a durable file goes through.  Tests replace it to inject
 * ENOSPC or EIO; NULL means write(2).
 */
typedef ssize_t (*durable_write_fn)(int fd, const void *buf, size_t len);

/* A file being written; see durable_begin. */
struct durable {
	int dirfd; /* borrowed */
	int fd;
	char *name;
	char *tmp;
	durable_write_fn write_fn;
	int error; /* errno of the first failure, 0 if none */
};

/*
 * Start writing name in the directory dirfd, under the temporary name tmp
 * (same directory), with mode.  -1 with errno set.
 */
int durable_begin(struct durable *d, int dirfd, const char *name,
    const char *tmp, int mode, durable_write_fn write_fn);
/* Append n bytes; -1 with errno set (the failure sticks until commit). */
int durable_write(struct durable *d, const void *p, size_t n);
/*
 * fsync, rename over the final name and, with sync_dir, fsync the
 * directory.  On failure the temporary file is removed, the old file is
 * left as it was and -1 is returned with errno set.
 */
int durable_commit(struct durable *d, int sync_dir);
/* Give up: close and remove the temporary file. */
void durable_abort(struct durable *d);
/* The whole of durable_begin, durable_write and durable_commit. */
int durable_put(int dirfd, const char *name, const char *tmp, const void *p,
    size_t n, int sync_dir, durable_write_fn write_fn);
/* fsync a directory; -1 with errno set. */
int durable_sync_dir(int dirfd);
/*
 * Create a directory and its missing parents with mode (like mkdir -p);
 * an existing directory is fine.  -1 with errno set.
 */
int durable_mkdirs(const char *path, int mode);

/*
 * Read a whole file below dirfd (no symbolic link) of at most max bytes,
 * NUL-terminated, its length in *len; NULL with errno set.
 */
char *durable_read(int dirfd, const char *name, size_t max, size_t *len);

#endif
