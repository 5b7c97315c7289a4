/*
 * Unit tests for the state directory of a running daemon: made with its
 * parents and locked to one process, the table saved at the end, and a
 * baseline saved at once by the save child, releasing what waited for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <event2/event.h>

#include "config.h"
#include "persist.h"
#include "statefile.h"
#include "task.h"
#include "taskstate.h"
#include "testlib.h"
#include "xmalloc.h"

#define NOW 1747645662

static struct {
	char dir[64];
	struct config_account acct;
	struct config_watch watch;
	struct config conf;
	struct event_base *base;
	struct taskstate *ts;
	size_t released;  /* release callbacks */
	uint64_t covered; /* the last one's */
	int durable;      /* the last one's */
} t;

/* A temporary state directory, a config of one watch, an empty table. */
static int
test_setup(void **state)
{
	memset(&t, 0, sizeof(t));
	snprintf(t.dir, sizeof(t.dir), "/tmp/test_persist.XXXXXX");
	if (mkdtemp(t.dir) == NULL)
		return -1;
	t.acct.name = (char *)"hw-prod";
	t.acct.region = (char *)"cn-north-4";
	t.watch.name = (char *)"dds-prod";
	t.watch.api = CONFIG_API_DDS_JOBS;
	t.watch.account = &t.acct;
	t.conf.watches = &t.watch;
	t.conf.nwatches = 1;
	t.conf.daemon.state_dir = t.dir;
	t.base = event_base_new();
	t.ts = taskstate_new();
	return t.base != NULL ? 0 : -1;
}

/* Remove the state directory. */
static int
test_teardown(void **state)
{
	taskstate_free(t.ts);
	event_base_free(t.base);
	testlib_rmtree(t.dir);
	return 0;
}

/* The release hook: note the save, stop the loop; nothing stays held. */
static int
test_release_cb(uint64_t covered, int durable, void *arg)
{
	t.released++;
	t.covered = covered;
	t.durable = durable;
	event_base_loopbreak(t.base);
	return 0;
}

/* Baseline a watch of one task into the table. */
static void
test_baseline(void)
{
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 };
	struct task *k = task_list_add(&l);

	task_init(k);
	k->id = xstrdup("job-1");
	k->cluster_id = xstrdup("c1");
	k->state = TASK_RUNNING;
	memset(&tw, 0, sizeof(tw));
	tw.watch = t.watch.name;
	tw.api = config_api_name(t.watch.api);
	tw.account = t.acct.name;
	tw.region = t.acct.region;
	taskstate_apply(t.ts, &tw, &l, 1, 1, 0, NOW, NULL, NULL);
	task_list_clear(&l);
}

/* 1 if the saved table exists. */
static int
test_saved(void)
{
	struct stat st;
	char *path = xasprintf("%s/%s", t.dir, STATEFILE_NAME);
	int ok = stat(path, &st) == 0 && st.st_size > 0;

	free(path);
	return ok;
}

/* A missing directory is made; a second lock on it names our pid. */
static void
test_check_dir(void **state)
{
	char *dir = xasprintf("%s/a/b", t.dir), *cause = NULL, *want;
	int fd = -1, fd2 = -1;

	assert_int_equal(persist_check_dir(dir, &fd, &cause), 0);
	assert_true(fd >= 0);
	assert_int_equal(persist_check_dir(dir, &fd2, &cause), -1);
	assert_int_equal(fd2, -1);
	want =
	    xasprintf("state_dir %s is in use by pid %ld", dir, (long)getpid());
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	close(fd);
	free(dir);
}

/* persist_close saves a changed table in this process and releases. */
static void
test_close_saves(void **state)
{
	struct persist *p;
	char *cause = NULL;

	p = persist_new(t.base, &t.conf, t.ts, test_release_cb, NULL, &cause);
	assert_non_null(p);
	assert_non_null(persist_outbox(p));
	assert_null(persist_problem(p));
	test_baseline();
	assert_false(test_saved());
	persist_close(p);
	assert_true(test_saved());
	assert_int_equal(t.released, 1);
	assert_int_equal(t.durable, 1);
	assert_true(t.covered == taskstate_changes(t.ts));
	persist_free(p);
}

/* A baseline is saved at once by the save child, then released. */
static void
test_baselined(void **state)
{
	struct timeval limit = { 10, 0 };
	struct persist *p;
	char *cause = NULL;

	p = persist_new(t.base, &t.conf, t.ts, test_release_cb, NULL, &cause);
	assert_non_null(p);
	test_baseline();
	persist_baselined(p);
	event_base_loopexit(t.base, &limit);
	event_base_dispatch(t.base);
	assert_int_equal(t.released, 1);
	assert_int_equal(t.durable, 1);
	assert_true(t.covered == taskstate_changes(t.ts));
	assert_true(test_saved());
	persist_free(p);
}

/* Run the state directory tests. */
int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_check_dir, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_close_saves, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_baselined, test_setup, test_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
