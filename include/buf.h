/*
 * A growable byte buffer with a hard cap, always NUL-terminated, for bodies
 * whose size is chosen by a remote peer and for building text.
 */
#ifndef BUF_H
#define BUF_H

#include <stddef.h>

struct buf {
	char *data; /* NUL-terminated; NULL until first append */
	size_t len;
	size_t cap; /* allocated bytes */
	size_t max; /* hard limit on len; 0 = unlimited */
};

/* Initialise an empty buffer that refuses to grow past max bytes (0 = no cap). */
void buf_init(struct buf *b, size_t max);
/* Append n bytes; -1 (buffer unchanged) if that would exceed the cap. */
int buf_add(struct buf *b, const void *p, size_t n);
/* Append a NUL-terminated string; -1 past the cap. */
int buf_puts(struct buf *b, const char *s);
/* Append one byte; -1 past the cap. */
int buf_putc(struct buf *b, char c);
/* Append formatted text; -1 past the cap. */
int buf_printf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Return the contents (never NULL: "" when empty). */
const char *buf_str(const struct buf *b);
/* Give up ownership of the data to the caller (never NULL); the buffer is reset. */
char *buf_release(struct buf *b);
/* Empty the buffer, keeping its memory and cap. */
void buf_reset(struct buf *b);
/* Free the memory; the buffer is left empty and reusable. */
void buf_free(struct buf *b);

#endif
