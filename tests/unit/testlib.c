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
#include <string.h>

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

/* A new environment for api with the fields every provider needs. */
struct testlib_env *
testlib_env_new(enum config_api api, const char *watch, const char *project_id)
{
	struct testlib_env *env = calloc(1, sizeof(*env));

	assert_non_null(env);
	env->acct.name = "hw";
	env->acct.project_id = (char *)project_id;
	env->watch.name = (char *)watch;
	env->watch.account = &env->acct;
	env->watch.api = api;
	env->ctx.watch = &env->watch;
	env->ctx.account = &env->acct;
	env->ctx.now_ms = TESTLIB_NOW_MS;
	env->p = provider_find(api);
	return env;
}

/* cmocka teardown freeing the environment in *state. */
int
testlib_teardown(void **state)
{
	free(*state);
	return 0;
}

/* Parse one 200 page from a fresh cursor; returns list_parse's result. */
int
testlib_parse(struct testlib_env *env, const char *body, struct task_list *l,
    struct provider_cursor *cur, char **cause)
{
	memset(cur, 0, sizeof(*cur));
	*cause = NULL;
	return env->p->list_parse(
	    &env->ctx, 200, body, strlen(body), l, cur, cause);
}
