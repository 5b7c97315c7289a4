/*
 * Crash-safe files for the state directory: temporary file, fsync,
 * rename, fsync of the directory.  Every call reports failure through
 * errno and never logs: the saved task table and the outbox decide how
 * loudly to complain and when to try again.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "durable.h"
#include "xmalloc.h"

/* Start writing name in dirfd under the temporary name tmp. */
int
durable_begin(struct durable *d, int dirfd, const char *name, const char *tmp,
    int mode, durable_write_fn write_fn)
{
	memset(d, 0, sizeof(*d));
	d->dirfd = dirfd;
	d->write_fn = write_fn;
	d->fd = openat(
	    dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (d->fd == -1)
		return -1;
	d->name = xstrdup(name);
	d->tmp = xstrdup(tmp);
	return 0;
}

/* Append n bytes, retrying short writes and EINTR. */
int
durable_write(struct durable *d, const void *p, size_t n)
{
	const char *s = p;
	ssize_t r;

	if (d->error != 0) {
		errno = d->error;
		return -1;
	}
	while (n > 0) {
		if (d->write_fn != NULL)
			r = d->write_fn(d->fd, s, n);
		else
			r = write(d->fd, s, n);
		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0) {
			d->error = r == 0 ? EIO : errno;
			errno = d->error;
			return -1;
		}
		s += r;
		n -= (size_t)r;
	}
	return 0;
}

/* Free what begin allocated. */
static void
durable_clear(struct durable *d)
{
	free(d->name);
	free(d->tmp);
	d->name = d->tmp = NULL;
	d->fd = -1;
}

/* Give up: close and remove the temporary file. */
void
durable_abort(struct durable *d)
{
	int saved = errno;

	if (d->fd != -1) {
		close(d->fd);
		unlinkat(d->dirfd, d->tmp, 0);
	}
	durable_clear(d);
	errno = saved;
}

/* fsync, rename over the final name, and fsync the directory. */
int
durable_commit(struct durable *d, int sync_dir)
{
	int error = d->error;

	if (error == 0 && fsync(d->fd) == -1)
		error = errno;
	if (close(d->fd) == -1 && error == 0)
		error = errno;
	d->fd = -1;
	if (error == 0 && renameat(d->dirfd, d->tmp, d->dirfd, d->name) == -1)
		error = errno;
	if (error != 0) {
		unlinkat(d->dirfd, d->tmp, 0);
		durable_clear(d);
		errno = error;
		return -1;
	}
	durable_clear(d);
	if (sync_dir && durable_sync_dir(d->dirfd) == -1)
		return -1;
	return 0;
}

/* The whole of durable_begin, durable_write and durable_commit. */
int
durable_put(int dirfd, const char *name, const char *tmp, const void *p,
    size_t n, int sync_dir, durable_write_fn write_fn)
{
	struct durable d;

	if (durable_begin(&d, dirfd, name, tmp, 0640, write_fn) == -1)
		return -1;
	if (durable_write(&d, p, n) == -1) {
		durable_abort(&d);
		return -1;
	}
	return durable_commit(&d, sync_dir);
}

/* fsync a directory. */
int
durable_sync_dir(int dirfd)
{
	if (fsync(dirfd) == -1 && errno != EINVAL)
		return -1;
	return 0;
}

/* mkdir -p with mode; an existing directory is fine. */
int
durable_mkdirs(const char *path, int mode)
{
	struct stat st;
	char *p, *s;
	int rc = 0;

	p = xstrdup(path);
	for (s = p + 1;; s++) {
		if (*s != '/' && *s != '\0')
			continue;
		if (s[-1] != '/') {
			char c = *s;

			*s = '\0';
			if (mkdir(p, (mode_t)mode) == -1 && errno != EEXIST) {
				rc = -1;
				break;
			}
			*s = c;
		}
		if (*s == '\0')
			break;
	}
	if (rc == 0 && stat(path, &st) == -1)
		rc = -1;
	else if (rc == 0 && !S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		rc = -1;
	}
	free(p);
	return rc;
}

/*
 * Read a whole file below dirfd (not following a symbolic link) of at most
 * max bytes; NULL with errno set (EFBIG when larger).  NUL-terminated.
 */
char *
durable_read(int dirfd, const char *name, size_t max, size_t *len)
{
	struct stat st;
	char *text;
	ssize_t n;
	size_t off = 0;
	int fd;

	if ((fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1) {
		close(fd);
		return NULL;
	}
	if ((uintmax_t)st.st_size > max) {
		close(fd);
		errno = EFBIG;
		return NULL;
	}
	text = xmalloc((size_t)st.st_size + 1);
	while (off < (size_t)st.st_size) {
		n = read(fd, text + off, (size_t)st.st_size - off);
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	close(fd);
	text[off] = '\0';
	*len = off;
	return text;
}
