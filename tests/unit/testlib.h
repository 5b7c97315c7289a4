/*
 * Helpers shared by the unit tests (linked into every test binary): reading
 * the vendors' fixtures and golden files.  Test code only.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stddef.h>

/*
 * Read a whole file into a new NUL-terminated string; the test fails when
 * it cannot be read (the cwd must be the repository root).
 */
char *testlib_read_file(const char *path, size_t *len);

#endif
