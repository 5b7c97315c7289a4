/*
 * Allocation that cannot fail: running out of memory is fatal.  Also the
 * secret-safe free.
 */
#ifndef XMALLOC_H
#define XMALLOC_H

#include <stddef.h>

#define XMALLOC_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* malloc or die. */
void *xmalloc(size_t size);
/* calloc or die. */
void *xcalloc(size_t nmemb, size_t size);
/* reallocarray or die. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
/* strdup or die; xstrdup(NULL) is NULL. */
char *xstrdup(const char *s);
/* strndup or die. */
char *xstrndup(const char *s, size_t n);
/* asprintf or die. */
char *xasprintf(const char *fmt, ...) XMALLOC_PRINTF(1, 2);
/* Wipe len bytes at p, then free it; for secrets. NULL is a no-op. */
void xfreezero(void *p, size_t len);
/* Wipe and free a NUL-terminated secret string. NULL is a no-op. */
void xfreesecret(char *s);

#endif
