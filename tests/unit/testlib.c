/*
 * Helpers shared by the unit tests: reading fixtures.  cmocka's assertions
 * make a failure to read fail the calling test.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "sign.h"
#include "testlib.h"
#include "util.h"
#include "xmalloc.h"

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

/* The records testlib_known_cb says the table holds. */
static const struct task_list *testlib_held;

/* known for provider_ctx: 1 for a key and digest of testlib_held. */
static int
testlib_known_cb(void *arg, const struct task *t)
{
	size_t i;

	for (i = 0; i < testlib_held->n; i++) {
		const struct task *h = &testlib_held->v[i];

		if (strcmp(h->id, t->id) == 0 &&
		    strcmp(h->cluster_id != NULL ? h->cluster_id : "",
			t->cluster_id != NULL ? t->cluster_id : "") == 0 &&
		    h->digest == t->digest)
			return 1;
	}
	return 0;
}

/*
 * Parse a fixture (at least one task) twice: first with no table, then
 * with a table holding what the first parse gave.  The second time every
 * task comes as unchanged, key and digest only.
 */
void
testlib_check_unchanged(struct testlib_env *env, const char *fixture)
{
	struct task_list first = { NULL, 0, 0 }, again = { NULL, 0, 0 };
	struct provider_cursor cur;
	char *body, *cause = NULL, path[256];
	size_t i, len;

	snprintf(path, sizeof(path), "../shared/fixtures/%s", fixture);
	body = testlib_read_file(path, &len);

	env->ctx.known = NULL;
	if (testlib_parse(env, body, &first, &cur, &cause) != 0)
		fail_msg("parse failed: %s", cause ? cause : "?");
	assert_true(first.n > 0);
	for (i = 0; i < first.n; i++) {
		assert_int_equal(first.v[i].unchanged, 0);
		assert_true(first.v[i].digest != 0);
		assert_non_null(first.v[i].type);
	}
	testlib_held = &first;
	env->ctx.known = testlib_known_cb;
	if (testlib_parse(env, body, &again, &cur, &cause) != 0)
		fail_msg("parse failed: %s", cause ? cause : "?");
	env->ctx.known = NULL;
	assert_int_equal(again.n, first.n);
	for (i = 0; i < again.n; i++) {
		assert_int_equal(again.v[i].unchanged, 1);
		assert_string_equal(again.v[i].id, first.v[i].id);
		assert_true(again.v[i].digest == first.v[i].digest);
		assert_null(again.v[i].type);
		assert_null(again.v[i].raw_status);
		assert_null(again.v[i].detail);
	}
	task_list_clear(&first);
	task_list_clear(&again);
	free(body);
}

/* Remove a directory tree the test made (a file, or a directory of them). */
void
testlib_rmtree(const char *path)
{
	struct dirent *de;
	DIR *d;
	char *p;

	if ((d = opendir(path)) == NULL) {
		unlink(path);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		p = xasprintf("%s/%s", path, de->d_name);
		testlib_rmtree(p);
		free(p);
	}
	closedir(d);
	rmdir(path);
}

/* Fill req's text from its sign_req (or free it when rc is -1). */
static int
testlib_req_fill(const struct provider *p, int rc, struct testlib_req *req)
{
	struct sign_req *r = req->sreq;
	struct buf b;
	size_t i;

	if (rc == -1) {
		sign_req_free(r);
		req->sreq = NULL;
		return -1;
	}
	req->service = config_api_service(p->api);
	req->method = r->method;
	buf_init(&b, 0);
	buf_puts(&b, r->path);
	for (i = 0; i < r->nquery; i++) {
		buf_putc(&b, i == 0 ? '?' : '&');
		util_urlencode(&b, r->query[i].name);
		if (r->query[i].value != NULL) {
			buf_putc(&b, '=');
			util_urlencode(&b, r->query[i].value);
		}
	}
	req->path_query = buf_release(&b);
	for (i = 0; i < r->nheaders && i < 8; i++)
		req->headers[i] = xasprintf(
		    "%s: %s", r->headers[i].name, r->headers[i].value);
	return 0;
}

/* Describe the listing request at cur into req (overwritten). */
int
testlib_list_req(const struct provider *p, const struct provider_ctx *ctx,
    const struct provider_cursor *cur, struct testlib_req *req, char **cause)
{
	memset(req, 0, sizeof(*req));
	req->sreq = sign_req_new();
	return testlib_req_fill(
	    p, p->list_req(ctx, cur, req->sreq, cause), req);
}

/* Describe the lookup of t into req (overwritten). */
int
testlib_lookup_req(const struct provider *p, const struct provider_ctx *ctx,
    const struct task *t, struct testlib_req *req, char **cause)
{
	memset(req, 0, sizeof(*req));
	req->sreq = sign_req_new();
	return testlib_req_fill(
	    p, p->lookup_req(ctx, t, req->sreq, cause), req);
}

/* Free what req holds. */
void
testlib_req_clear(struct testlib_req *req)
{
	size_t i;

	free(req->path_query);
	for (i = 0; req->headers[i] != NULL; i++)
		free(req->headers[i]);
	sign_req_free(req->sreq);
	memset(req, 0, sizeof(*req));
}
