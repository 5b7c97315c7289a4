/*
 * Helpers shared by the unit tests: reading fixtures.  cmocka's assertions
 * make a failure to read fail the calling test.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "testlib.h"

/* Read a whole file into a new NUL-terminated string. */
char *
testlib_read_file(const char *path, size_t *len)
{
	FILE *fp;
	char *data;
	long n;

	fp = fopen(path, "rb");
	if (fp == NULL)
		fail_msg(
		    "cannot open %s (cwd must be the repository root)", path);
	assert_int_equal(fseek(fp, 0, SEEK_END), 0);
	n = ftell(fp);
	assert_true(n >= 0);
	rewind(fp);
	data = malloc((size_t)n + 1);
	assert_non_null(data);
	assert_int_equal(fread(data, 1, (size_t)n, fp), (size_t)n);
	data[n] = '\0';
	fclose(fp);
	*len = (size_t)n;
	return data;
}
