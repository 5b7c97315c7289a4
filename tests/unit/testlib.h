/*
 * Helpers shared by the unit tests (linked into every test binary): reading
 * the vendors' fixtures and golden files, removing what a test made.
 * Test code only.
 */
#ifndef TESTLIB_H
#define TESTLIB_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "provider.h"
#include "task.h"

/*
 * Read a whole file into a new NUL-terminated string; the test fails when
 * it cannot be read (the cwd must be the repository root).
 */
char *testlib_read_file(const char *path, size_t *len);

/* Remove a directory tree the test made (a file, or a directory of them). */
void testlib_rmtree(const char *path);

#define TESTLIB_NOW_MS 1747645200000LL /* 2025-05-19T09:00:00Z */

/* A hand-filled account and watch of one API, and its provider. */
struct testlib_env {
	struct config_account acct;
	struct config_watch watch;
	struct provider_ctx ctx;
	const struct provider *p;
};

/*
 * A new environment for api: account "hw" with project_id (may be NULL),
 * watch named watch, now = TESTLIB_NOW_MS.  Tests add what their API needs.
 */
struct testlib_env *testlib_env_new(
    enum config_api api, const char *watch, const char *project_id);
/* cmocka teardown freeing the environment in *state. */
int testlib_teardown(void **state);
/* Parse one 200 page from a fresh cursor; returns list_parse's result. */
int testlib_parse(struct testlib_env *env, const char *body,
    struct task_list *l, struct provider_cursor *cur, char **cause);
/*
 * Parse a fixture of ../shared/fixtures twice, the second time with a
 * table holding what the first gave: every task must then come as
 * unchanged (key and digest only).
 */
void testlib_check_unchanged(struct testlib_env *env, const char *fixture);

/*
 * A provider's request as text, to compare with what the tests expect:
 * the endpoint service, the method, "path?query" (parameters in the order
 * the provider added them, percent-encoded) and "Name: value" headers.
 */
struct testlib_req {
	const char *service;
	const char *method;
	char *path_query;
	char *headers[9]; /* NULL-terminated */
	struct sign_req *sreq;
};

/* Describe the listing request at cur into req (overwritten). */
int testlib_list_req(const struct provider *p, const struct provider_ctx *ctx,
    const struct provider_cursor *cur, struct testlib_req *req, char **cause);
/* Describe the lookup of t into req (overwritten). */
int testlib_lookup_req(const struct provider *p, const struct provider_ctx *ctx,
    const struct task *t, struct testlib_req *req, char **cause);
/* Free what req holds. */
void testlib_req_clear(struct testlib_req *req);

#endif
