/*
 * Capped, always-terminated byte buffers.  Growth is geometric; the cap is
 * checked before any allocation so a hostile peer cannot make us allocate
 * more than the cap.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

/* Initialise an empty buffer that refuses to grow past max bytes (0 = no cap). */
void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
}

/* Make room for n more bytes plus the terminator; -1 past the cap. */
static int
buf_grow(struct buf *b, size_t n)
{
	size_t need, ncap;

	if (n > (size_t)-1 / 2 - b->len)
		return -1;
	need = b->len + n + 1;
	if (b->max != 0 && b->len + n > b->max)
		return -1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 64;
	while (ncap < need)
		ncap *= 2;
	if (b->max != 0 && ncap > b->max + 1)
		ncap = b->max + 1;
	b->data = xreallocarray(b->data, ncap, 1);
	b->cap = ncap;
	return 0;
}

/* Append n bytes; -1 (buffer unchanged) if that would exceed the cap. */
int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

/* Append a NUL-terminated string; -1 past the cap. */
int
buf_puts(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

/* Append one byte; -1 past the cap. */
int
buf_putc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

/* Append formatted text; -1 past the cap. */
int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	char small[256], *big;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(small, sizeof(small), fmt, ap);
	va_end(ap);
	if (n < 0)
		return -1;
	if ((size_t)n < sizeof(small))
		return buf_add(b, small, (size_t)n);
	big = xmalloc((size_t)n + 1);
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	rc = buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

/* Return the contents (never NULL: "" when empty). */
const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

/* Give up ownership of the data to the caller (never NULL); the buffer is reset. */
char *
buf_release(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");

	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

/* Empty the buffer, keeping its memory and cap. */
void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

/* Free the memory; the buffer is left empty and reusable. */
void
buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
