/*
 * Unit tests for the saved task table: a save and restore round trip of
 * every field, the header and lines as jq sees them, corrupt lines skipped
 * with file:line, unknown versions and changed watches ignored, a failed
 * write leaving the previous file whole, and the first poll after a
 * restore diffing against it with events marked missed.
 */
#include <sys/stat.h>

#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "config.h"
#include "evt.h"
#include "json.h"
#include "log.h"
#include "statefile.h"
#include "task.h"
#include "taskstate.h"
#include "xmalloc.h"

#define NOW 1747645662

static struct {
	char dir[64];
	char *path;
	struct config_account acct;
	struct config_watch watches[3];
	struct config conf;
	int saved_stderr;
	FILE *log;
	size_t fail_after; /* bytes the injected write lets through */
	size_t written;
} t;

/* A temporary state directory and a config of three watches. */
static int
test_setup(void **state)
{
	memset(&t, 0, sizeof(t));
	t.saved_stderr = -1;
	snprintf(t.dir, sizeof(t.dir), "/tmp/test_statefile.XXXXXX");
	if (mkdtemp(t.dir) == NULL)
		return -1;
	t.path = xasprintf("%s/%s", t.dir, STATEFILE_NAME);
	t.acct.name = (char *)"hw-prod";
	t.acct.region = (char *)"cn-north-4";
	t.watches[0].name = (char *)"dds-prod";
	t.watches[0].api = CONFIG_API_DDS_JOBS;
	t.watches[0].account = &t.acct;
	t.watches[1].name = (char *)"empty";
	t.watches[1].api = CONFIG_API_DDS_JOBS;
	t.watches[1].account = &t.acct;
	t.watches[2].name = (char *)"gauss";
	t.watches[2].api = CONFIG_API_GAUSSDB_TASKS;
	t.watches[2].account = &t.acct;
	t.conf.watches = t.watches;
	t.conf.nwatches = 3;
	return 0;
}

/* Remove the state directory. */
static int
test_teardown(void **state)
{
	char *p;

	unlink(t.path);
	p = xasprintf("%s/%s.tmp", t.dir, STATEFILE_NAME);
	unlink(p);
	free(p);
	rmdir(t.dir);
	free(t.path);
	return 0;
}

/* Send stderr (the log) to a temporary file. */
static void
test_log_start(void)
{
	fflush(stderr);
	t.log = tmpfile();
	assert_non_null(t.log);
	t.saved_stderr = dup(2);
	dup2(fileno(t.log), 2);
}

/* Restore stderr; return what was logged (caller frees). */
static char *
test_log_stop(void)
{
	char *text;
	long n;

	fflush(stderr);
	dup2(t.saved_stderr, 2);
	close(t.saved_stderr);
	n = ftell(t.log);
	text = xcalloc(1, (size_t)n + 1);
	rewind(t.log);
	if (n > 0 && fread(text, 1, (size_t)n, t.log) != (size_t)n)
		fail_msg("short read of the log");
	fclose(t.log);
	return text;
}

/* Read a whole file (caller frees); NULL if it does not exist. */
static char *
test_read(const char *path)
{
	FILE *fp;
	char *s;
	long n;

	if ((fp = fopen(path, "r")) == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	rewind(fp);
	s = xcalloc(1, (size_t)n + 1);
	if (n > 0 && fread(s, 1, (size_t)n, fp) != (size_t)n)
		fail_msg("short read");
	fclose(fp);
	return s;
}

/* Write a whole file. */
static void
test_write(const char *path, const char *text)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

/* A task with every field set. */
static void
test_full_task(struct task *t0)
{
	task_init(t0);
	t0->id = xstrdup("2f406db7-bdc4-402f-9dc4-2c1b094a5f93");
	t0->type = xstrdup("RestartReplicaSetInstance");
	t0->cluster_id = xstrdup("1f311e6a299345d7bbc878874844e233in02");
	t0->cluster_name = xstrdup("dds-6be2-fwyrestore");
	t0->state = TASK_RUNNING;
	t0->raw_status = xstrdup("Running");
	t0->progress = 60;
	t0->started_at = 1662359054;
	t0->ended_at = TASK_TIME_NONE;
	t0->reason = xstrdup("a \"quoted\"\nreason \xc3\xa9");
	t0->detail =
	    xstrdup("{\"job\":{\"n\":[1,2,{\"x\":null}]},\"ok\":true}");
}

/* A task with only an id and a state. */
static void
test_bare_task(struct task *t0, const char *id, enum task_state s)
{
	task_init(t0);
	t0->id = xstrdup(id);
	t0->cluster_id = xstrdup("");
	t0->state = s;
	t0->raw_status = xstrdup(task_state_name(s));
}

/* The watch info of a configured watch. */
static void
test_tw(struct taskstate_watch *tw, const struct config_watch *cw)
{
	memset(tw, 0, sizeof(*tw));
	tw->watch = cw->name;
	tw->api = config_api_name(cw->api);
	tw->account = cw->account->name;
	tw->region = cw->account->region;
	tw->stall_after_ms = 60000;
}

/* A table: dds-prod with a full and a bare task, empty with none. */
static struct taskstate *
test_table(void)
{
	struct taskstate *ts = taskstate_new();
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 };

	test_full_task(task_list_add(&l));
	test_bare_task(task_list_add(&l), "bare", TASK_FAILED);
	test_tw(&tw, &t.watches[0]);
	taskstate_apply(ts, &tw, &l, 1, 1, 0, NOW - 600, NULL, NULL);
	task_list_clear(&l);
	test_tw(&tw, &t.watches[1]);
	taskstate_apply(ts, &tw, &l, 1, 1, 0, NOW - 600, NULL, NULL);
	return ts;
}

/* What test_collect_cb gathers: each task as a JSON line of its own. */
struct test_rows {
	char *v[16];
	size_t n;
};

/* taskstate_foreach_extra callback: a comparable text per task. */
static void
test_collect_cb(const char *watch, const struct task *t0,
    const struct taskstate_extra *x, void *arg)
{
	struct test_rows *rows = arg;
	struct json_writer *w = json_writer_new();

	json_w_obj_open(w);
	json_w_kstr(w, "watch", watch);
	json_w_key(w, "task");
	evt_write_task(w, t0);
	json_w_kint(w, "pca", x->progress_changed_at);
	json_w_kbool(w, "stalled", x->stalled);
	evt_write_ack(w, "ack", x->ack);
	json_w_obj_close(w);
	assert_true(rows->n < 16);
	rows->v[rows->n++] = xstrdup(json_writer_str(w, NULL));
	json_writer_free(w);
}

/* strcmp for qsort over strings. */
static int
test_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every task of ts as sorted text lines. */
static void
test_rows(const struct taskstate *ts, struct test_rows *rows)
{
	memset(rows, 0, sizeof(*rows));
	taskstate_foreach_extra(ts, NULL, test_collect_cb, rows);
	qsort(rows->v, rows->n, sizeof(rows->v[0]), test_cmp);
}

/* Free the lines. */
static void
test_rows_free(struct test_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->n; i++)
		free(rows->v[i]);
}

/*
 * Save then restore: every field, progress time, stalled and an ack come
 * back.
 */
static void
test_round_trip(void **state)
{
	struct taskstate *ts = test_table(), *ts2;
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };
	struct statefile *sf = statefile_new(t.dir);
	struct taskstate_acked got;
	struct test_rows a, b;
	struct evt_ack *ack;
	char *cause = NULL;
	size_t i;

	/* Make the full task stall so that the flag is saved. */
	test_full_task(task_list_add(&l));
	test_bare_task(task_list_add(&l), "bare", TASK_FAILED);
	test_tw(&tw, &t.watches[0]);
	taskstate_apply(ts, &tw, &l, 1, 0, 0, NOW, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_STALLED);
	evt_list_clear(&out);
	task_list_clear(&l);
	ack = evt_ack_new(1000, NOW - 5, "looking", TASK_UNKNOWN);
	assert_int_equal(taskstate_ack(ts, NULL, "bare", ack, &got, &cause), 0);
	evt_ack_free(ack);

	test_log_start();
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), 0);
	ts2 = taskstate_new();
	assert_int_equal(statefile_load(sf, ts2, &t.conf), 2);
	free(test_log_stop());
	assert_true(statefile_ok(sf));

	test_rows(ts, &a);
	test_rows(ts2, &b);
	assert_int_equal(a.n, 2);
	assert_int_equal(b.n, 2);
	for (i = 0; i < a.n; i++)
		assert_string_equal(a.v[i], b.v[i]);
	/* Sorted: the full task ("2f40...") before "bare". */
	assert_non_null(strstr(b.v[0], "\"stalled\":true"));
	assert_non_null(strstr(b.v[0], "\"pca\":1747645062"));
	assert_non_null(strstr(b.v[1], "\"stalled\":false"));
	assert_non_null(strstr(b.v[1],
	    "\"ack\":{\"by_uid\":1000,\"at\":\"2025-05-19T09:07:37Z\","
	    "\"comment\":\"looking\",\"state\":\"FAILED\"}"));
	assert_null(strstr(b.v[0], "\"ack\""));
	test_rows_free(&a);
	test_rows_free(&b);

	/* Both watches have a baseline, the empty one too; gauss none. */
	assert_true(taskstate_has_watch(ts2, "dds-prod"));
	assert_true(taskstate_has_watch(ts2, "empty"));
	assert_false(taskstate_has_watch(ts2, "gauss"));
	assert_int_equal(taskstate_restored_count(ts2), 2);
	assert_true(taskstate_restored(ts2, "empty"));
	assert_true(taskstate_take_restored(ts2, "empty"));
	assert_false(taskstate_take_restored(ts2, "empty"));
	assert_int_equal(taskstate_restored_count(ts2), 1);

	taskstate_free(ts);
	taskstate_free(ts2);
	statefile_free(sf);
}

/* The file is a header then one JSON object per line, as documented. */
static void
test_format(void **state)
{
	struct taskstate *ts = test_table();
	struct statefile *sf = statefile_new(t.dir);
	struct json *j;
	char *text, *line, *save = NULL, *cause = NULL;
	size_t n = 0;

	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), 0);
	assert_string_equal(statefile_path(sf), t.path);
	text = test_read(t.path);
	assert_non_null(text);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	     line = strtok_r(NULL, "\n", &save), n++) {
		j = json_parse(line, strlen(line), &cause);
		assert_non_null(j);
		if (n == 0) {
			assert_string_equal(
			    json_get_str(j, "kind"), "taskwatch-tasks");
			assert_string_equal(json_get_str(j, "saved_at"),
			    "2025-05-19T09:07:42Z");
			assert_int_equal(json_len(json_get(j, "watches")), 2);
			assert_string_equal(
			    json_get_str(
				json_at(json_get(j, "watches"), 0), "api"),
			    "dds.jobs");
		} else {
			assert_string_equal(
			    json_get_str(j, "watch"), "dds-prod");
			assert_non_null(
			    json_get_str(json_get(j, "task"), "raw_status"));
			assert_non_null(json_get_str(j, "progress_changed_at"));
		}
		json_free(j);
	}
	assert_int_equal(n, 3);
	free(text);
	taskstate_free(ts);
	statefile_free(sf);
}

/* A missing file restores nothing and is not an error. */
static void
test_missing(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct statefile *sf = statefile_new(t.dir);
	char *log;

	test_log_start();
	assert_int_equal(statefile_load(sf, ts, &t.conf), 0);
	log = test_log_stop();
	assert_non_null(strstr(log, "no saved task table"));
	assert_false(taskstate_has_watch(ts, "dds-prod"));
	free(log);
	taskstate_free(ts);
	statefile_free(sf);
}

/* Corrupt lines are skipped with file:line; good ones around them load. */
static void
test_corrupt_lines(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct statefile *sf = statefile_new(t.dir);
	char *log, *want;

	test_write(t.path,
	    "{\"version\":1,\"kind\":\"taskwatch-tasks\",\"watches\":"
	    "[{\"name\":\"dds-prod\",\"api\":\"dds.jobs\",\"account\":"
	    "\"hw-prod\"}]}\n"
	    "{\"watch\":\"dds-prod\",\"task\":{\"id\":\"a\",\"state\":"
	    "\"RUNNING\",\"progress\":5}}\n"
	    "{\"watch\":\"dds-prod\",\"task\":{\"id\":\"b\",\"sta\n"
	    "\n"
	    "{\"watch\":\"dds-prod\",\"task\":{\"state\":\"FAILED\"}}\n"
	    "{\"watch\":\"nowhere\",\"task\":{\"id\":\"c\"}}\n"
	    "{\"watch\":\"dds-prod\",\"task\":{\"id\":\"d\",\"state\":"
	    "\"FAILED\",\"progress\":\"x\"}}\n"
	    "{\"watch\":\"dds-prod\",\"task\":{\"id\":\"e\",\"state\":"
	    "\"FAILED\"},\"progress_changed_at\":\"2025-05-19T09:07:42Z\"}");
	test_log_start();
	assert_int_equal(statefile_load(sf, ts, &t.conf), 2);
	log = test_log_stop();
	want = xasprintf("%s:3: not JSON", t.path);
	assert_non_null(strstr(log, want));
	free(want);
	want = xasprintf("%s:5: task has no id", t.path);
	assert_non_null(strstr(log, want));
	free(want);
	want = xasprintf("%s:6: a watch the header does not list", t.path);
	assert_non_null(strstr(log, want));
	free(want);
	want = xasprintf("%s:7: progress is not a progress", t.path);
	assert_non_null(strstr(log, want));
	free(want);
	assert_int_equal(taskstate_count(ts, "dds-prod", -1), 2);
	assert_int_equal(taskstate_count(ts, "dds-prod", TASK_FAILED), 1);
	free(log);
	taskstate_free(ts);
	statefile_free(sf);
}

/* An unknown version or a file that is no task table restores nothing. */
static void
test_version(void **state)
{
	static const char *heads[] = {
		"{\"version\":2,\"kind\":\"taskwatch-tasks\",\"watches\":[]}\n",
		"{\"version\":1,\"kind\":\"other\"}\n",
		"garbage\n",
	};
	static const char *why[] = { "version 2", "not a task table header",
		"not a task table header" };
	struct taskstate *ts;
	struct statefile *sf = statefile_new(t.dir);
	char *text, *log;
	size_t i;

	for (i = 0; i < 3; i++) {
		text = xasprintf("%s{\"watch\":\"dds-prod\",\"task\":"
				 "{\"id\":\"a\"}}\n",
		    heads[i]);
		test_write(t.path, text);
		free(text);
		ts = taskstate_new();
		test_log_start();
		assert_int_equal(statefile_load(sf, ts, &t.conf), 0);
		log = test_log_stop();
		assert_non_null(strstr(log, why[i]));
		assert_non_null(strstr(log, "is ignored"));
		assert_false(taskstate_has_watch(ts, "dds-prod"));
		free(log);
		taskstate_free(ts);
	}
	statefile_free(sf);
}

/* A watch that now polls another API or is gone is not restored. */
static void
test_changed_watch(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct statefile *sf = statefile_new(t.dir);
	char *log;

	test_write(t.path,
	    "{\"version\":1,\"kind\":\"taskwatch-tasks\",\"watches\":["
	    "{\"name\":\"gauss\",\"api\":\"dds.jobs\",\"account\":\"hw-prod\"},"
	    "{\"name\":\"gone\",\"api\":\"dds.jobs\",\"account\":\"hw-prod\"},"
	    "{\"name\":\"dds-prod\",\"api\":\"dds.jobs\",\"account\":\"x\"}]}\n"
	    "{\"watch\":\"gauss\",\"task\":{\"id\":\"a\"}}\n"
	    "{\"watch\":\"gone\",\"task\":{\"id\":\"b\"}}\n"
	    "{\"watch\":\"dds-prod\",\"task\":{\"id\":\"c\"}}\n");
	test_log_start();
	assert_int_equal(statefile_load(sf, ts, &t.conf), 0);
	log = test_log_stop();
	assert_non_null(strstr(log,
	    "watch gauss: saved tasks dropped: it now "
	    "polls another API, account, cloud, region or project"));
	assert_non_null(strstr(
	    log, "watch gone: saved tasks dropped: the watch is no longer"));
	assert_non_null(strstr(log, "watch dds-prod: saved tasks dropped"));
	assert_int_equal(taskstate_count(ts, NULL, -1), 0);
	assert_false(taskstate_has_watch(ts, "gauss"));
	free(log);
	taskstate_free(ts);
	statefile_free(sf);
}

/*
 * A restart after the account's project or cloud changed drops the saved
 * tasks as a reload would; a file written before the header named them
 * keeps them.
 */
static void
test_changed_project(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct statefile *sf = statefile_new(t.dir);
	char *log;
	long rc;

	t.acct.project_id = (char *)"p-new";
	test_write(t.path,
	    "{\"version\":1,\"kind\":\"taskwatch-tasks\",\"watches\":["
	    "{\"name\":\"dds-prod\",\"api\":\"dds.jobs\",\"account\":"
	    "\"hw-prod\",\"region\":\"cn-north-4\",\"cloud\":\"huawei\","
	    "\"project\":\"p-old\"},"
	    "{\"name\":\"gauss\",\"api\":\"gaussdb.tasks\",\"account\":"
	    "\"hw-prod\",\"region\":\"cn-north-4\",\"cloud\":\"otc\","
	    "\"project\":\"p-new\"},"
	    "{\"name\":\"empty\",\"api\":\"dds.jobs\",\"account\":"
	    "\"hw-prod\",\"region\":\"cn-north-4\"}]}\n"
	    "{\"watch\":\"dds-prod\",\"task\":{\"id\":\"a\"}}\n"
	    "{\"watch\":\"gauss\",\"task\":{\"id\":\"b\"}}\n"
	    "{\"watch\":\"empty\",\"task\":{\"id\":\"c\"}}\n");
	test_log_start();
	rc = statefile_load(sf, ts, &t.conf);
	log = test_log_stop();
	assert_int_equal(rc, 1);

	assert_non_null(strstr(log, "watch dds-prod: saved tasks dropped"));
	assert_non_null(strstr(log, "watch gauss: saved tasks dropped"));
	assert_false(taskstate_has_watch(ts, "dds-prod"));
	assert_false(taskstate_has_watch(ts, "gauss"));
	assert_int_equal(taskstate_count(ts, "empty", -1), 1);
	free(log);
	t.acct.project_id = NULL;
	taskstate_free(ts);
	statefile_free(sf);
}

/* write(2) that fails with ENOSPC once t.fail_after bytes went through. */
static ssize_t
test_enospc_write(int fd, const void *p, size_t n)
{
	ssize_t r;

	if (t.written >= t.fail_after) {
		errno = ENOSPC;
		return -1;
	}
	if (n > t.fail_after - t.written)
		n = t.fail_after - t.written;
	if ((r = write(fd, p, n)) > 0)
		t.written += (size_t)r;
	return r;
}

/* A failed save leaves the previous file whole and no temporary file. */
static void
test_atomic(void **state)
{
	struct taskstate *ts = test_table();
	struct statefile *sf = statefile_new(t.dir);
	struct stat st;
	char *before, *after, *tmp, *log;

	test_write(t.path, "previous contents\n");
	before = test_read(t.path);
	statefile_set_write_fn(sf, test_enospc_write);
	t.fail_after = 100; /* the header goes, the tasks do not */
	test_log_start();
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), -1);
	t.written = 0;
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), -1);
	t.written = 0;
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), -1);
	log = test_log_stop();
	assert_non_null(strstr(log, "cannot save the task table"));
	assert_non_null(strstr(log, "No space left on device"));
	/* Logged at the first and second failure, not the third. */
	assert_non_null(strstr(log, "still cannot save"));
	assert_null(strstr(log, "3 tries"));
	free(log);
	assert_false(statefile_ok(sf));
	after = test_read(t.path);
	assert_string_equal(before, after);
	free(after);
	tmp = xasprintf("%s.tmp", t.path);
	assert_int_equal(stat(tmp, &st), -1);

	/* Space again: the save goes through and says so. */
	statefile_set_write_fn(sf, NULL);
	test_log_start();
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), 0);
	log = test_log_stop();
	assert_non_null(strstr(log, "again, after 3 failed tries"));
	free(log);
	assert_true(statefile_ok(sf));
	assert_int_equal(stat(tmp, &st), -1);
	after = test_read(t.path);
	assert_string_not_equal(before, after);
	free(after);
	free(before);
	free(tmp);
	taskstate_free(ts);
	statefile_free(sf);
}

/* Find the event of a task in a list; NULL if none. */
static const struct evt *
test_find(const struct evt_list *l, const char *id)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i]->task.id, id) == 0)
			return l->v[i];
	return NULL;
}

/*
 * The first poll after a restore is not a baseline: what changed meanwhile
 * comes out as missed, with the ids a live daemon would have given, and an
 * appeared task that is already over says so.  The next poll is live.
 */
static void
test_first_poll_missed(void **state)
{
	struct taskstate *ts = test_table(), *ts2, *live;
	struct statefile *sf = statefile_new(t.dir);
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 }, lout = { NULL, 0, 0 };
	struct task_list gone = { NULL, 0, 0 };
	const struct evt *ev;
	struct task *tk;
	char *summary;

	test_log_start();
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), 0);
	ts2 = taskstate_new();
	statefile_load(sf, ts2, &t.conf);
	free(test_log_stop());

	/* Meanwhile: the full task failed, "late" appeared already failed. */
	tk = task_list_add(&l);
	test_full_task(tk);
	tk->state = TASK_FAILED;
	free(tk->raw_status);
	tk->raw_status = xstrdup("Failed");
	test_bare_task(task_list_add(&l), "bare", TASK_FAILED);
	test_bare_task(task_list_add(&l), "late", TASK_FAILED);
	test_tw(&tw, &t.watches[0]);
	assert_true(taskstate_has_watch(ts2, "dds-prod"));
	taskstate_apply(ts2, &tw, &l, 1, 0,
	    taskstate_take_restored(ts2, "dds-prod"), NOW + 60, &out, &gone);
	assert_int_equal(out.n, 2);
	ev = test_find(&out, "2f406db7-bdc4-402f-9dc4-2c1b094a5f93");
	assert_non_null(ev);
	assert_int_equal(ev->kind, EVT_TRANSITION);
	assert_true(ev->missed);
	assert_int_equal(ev->prev_state, TASK_RUNNING);
	ev = test_find(&out, "late");
	assert_non_null(ev);
	assert_int_equal(ev->kind, EVT_APPEARED);
	assert_true(ev->missed);
	summary = evt_summary(ev);
	assert_non_null(strstr(summary, "appeared (already FAILED)"));
	free(summary);

	/* The same changes seen live give the same ids. */
	live = test_table();
	taskstate_apply(live, &tw, &l, 1, 0, 0, NOW + 60, &lout, NULL);
	assert_int_equal(lout.n, 2);
	assert_string_equal(
	    test_find(&out, "late")->id, test_find(&lout, "late")->id);
	assert_string_equal(
	    test_find(&out, "2f406db7-bdc4-402f-9dc4-2c1b094a5f93")->id,
	    test_find(&lout, "2f406db7-bdc4-402f-9dc4-2c1b094a5f93")->id);
	evt_list_clear(&lout);
	taskstate_free(live);

	/* A task that vanished meanwhile is missed too. */
	evt_list_clear(&out);
	task_list_clear(&l);
	test_bare_task(task_list_add(&l), "bare", TASK_FAILED);
	taskstate_apply(ts2, &tw, &l, 1, 0, 0, NOW + 120, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, 2);
	taskstate_vanish(ts2, &tw, &gone.v[0], NOW + 120, &out);
	assert_int_equal(out.n, 1);
	assert_false(out.v[0]->missed); /* a live poll: not missed */
	evt_list_clear(&out);
	task_list_clear(&gone);
	task_list_clear(&l);
	taskstate_free(ts);
	taskstate_free(ts2);
	statefile_free(sf);
}

/* A vanish confirmed during the first poll after a restore is missed. */
static void
test_vanish_missed(void **state)
{
	struct taskstate *ts = test_table(), *ts2;
	struct statefile *sf = statefile_new(t.dir);
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 }, gone = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };

	test_log_start();
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), 0);
	ts2 = taskstate_new();
	statefile_load(sf, ts2, &t.conf);
	free(test_log_stop());
	test_bare_task(task_list_add(&l), "bare", TASK_FAILED);
	test_tw(&tw, &t.watches[0]);
	taskstate_apply(ts2, &tw, &l, 1, 0,
	    taskstate_take_restored(ts2, "dds-prod"), NOW + 60, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, 1);
	taskstate_vanish(ts2, &tw, &gone.v[0], NOW + 60, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_VANISHED);
	assert_true(out.v[0]->missed);
	evt_list_clear(&out);
	task_list_clear(&gone);
	task_list_clear(&l);
	taskstate_free(ts);
	taskstate_free(ts2);
	statefile_free(sf);
}

/* Every change moves the counter the save timer looks at. */
static void
test_changes(void **state)
{
	struct taskstate *ts = test_table();
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 };
	uint64_t c;

	test_tw(&tw, &t.watches[0]);
	c = taskstate_changes(ts);
	test_full_task(task_list_add(&l));
	test_bare_task(task_list_add(&l), "bare", TASK_FAILED);
	taskstate_apply(ts, &tw, &l, 1, 1, 0, NOW - 500, NULL, NULL);
	assert_int_equal(taskstate_changes(ts), c); /* nothing changed */
	l.v[0].progress = 61;
	taskstate_apply(ts, &tw, &l, 1, 1, 0, NOW - 400, NULL, NULL);
	/* Progress alone: a change, but a minor one. */
	assert_int_equal(taskstate_changes(ts), c + 1);
	assert_int_equal(taskstate_minor_changes(ts), 1);
	c = taskstate_changes(ts);
	free(l.v[0].reason);
	l.v[0].reason = xstrdup("another reason");
	taskstate_apply(ts, &tw, &l, 1, 1, 0, NOW - 300, NULL, NULL);
	assert_int_equal(taskstate_changes(ts), c + 1);
	assert_int_equal(taskstate_minor_changes(ts), 1);
	c = taskstate_changes(ts);
	taskstate_forget_watch(ts, "empty");
	assert_true(taskstate_changes(ts) > c);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* An E-HPC watch "hpc" of t.acct over clusters, in *conf. */
static void
test_hpc_conf(
    struct config *conf, struct config_watch *w, char **clusters, size_t n)
{
	memset(conf, 0, sizeof(*conf));
	memset(w, 0, sizeof(*w));
	w->name = (char *)"hpc";
	w->api = CONFIG_API_EHPC_TASKS;
	w->account = &t.acct;
	w->clusters.v = clusters;
	w->clusters.n = n;
	conf->watches = w;
	conf->nwatches = 1;
}

/*
 * The scopes with a baseline and each task's scope survive a restart; a
 * cluster no longer configured loses its tasks and baseline, a new one
 * has none.
 */
static void
test_scopes(void **state)
{
	char *before[] = { "c1", "c2" }, *after[] = { "c2", "c3" };
	struct config conf;
	struct config_watch w;
	struct taskstate *ts = taskstate_new();
	struct statefile *sf = statefile_new(t.dir);
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 };
	struct task *tk;
	char *log;
	size_t i;

	test_hpc_conf(&conf, &w, before, 2);
	for (i = 0; i < 2; i++) {
		tk = task_list_add(&l);
		test_bare_task(tk, before[i], TASK_RUNNING);
		free(tk->cluster_id);
		tk->cluster_id = xstrdup(before[i]);
		tk->scope = xstrdup(before[i]);
		taskstate_add_scope(ts, "hpc", before[i]);
	}
	test_tw(&tw, &w);
	taskstate_apply(ts, &tw, &l, 1, 1, 0, NOW - 600, NULL, NULL);
	task_list_clear(&l);
	assert_int_equal(statefile_save(sf, ts, &conf, NOW), 0);
	taskstate_free(ts);

	ts = taskstate_new();
	test_hpc_conf(&conf, &w, after, 2);
	test_log_start();
	assert_int_equal(statefile_load(sf, ts, &conf), 1);
	log = test_log_stop();
	assert_non_null(strstr(log,
	    "watch hpc: 1 saved tasks dropped: their "
	    "scopes are no longer configured"));
	assert_false(taskstate_has_scope(ts, "hpc", "c1"));
	assert_true(taskstate_has_scope(ts, "hpc", "c2"));
	assert_false(taskstate_has_scope(ts, "hpc", "c3"));
	assert_true(taskstate_restored(ts, "hpc"));
	free(log);
	taskstate_free(ts);
	statefile_free(sf);
}

/* An older daemon's table (no scopes): every configured one has a baseline. */
static void
test_scopes_legacy(void **state)
{
	char *clusters[] = { "c2", "c3" };
	struct config conf;
	struct config_watch w;
	struct taskstate *ts = taskstate_new();
	struct statefile *sf = statefile_new(t.dir);
	char *none[] = { "c3" };
	struct test_rows rows;

	test_hpc_conf(&conf, &w, clusters, 2);
	test_write(t.path,
	    "{\"version\":1,\"kind\":\"taskwatch-tasks\",\"watches\":["
	    "{\"name\":\"hpc\",\"api\":\"ehpc.tasks\","
	    "\"account\":\"hw-prod\"}]}\n"
	    "{\"watch\":\"hpc\",\"task\":{\"id\":\"a\","
	    "\"cluster_id\":\"c2\"}}\n");
	assert_int_equal(statefile_load(sf, ts, &conf), 1);
	test_rows(ts, &rows);
	assert_int_equal(rows.n, 1);
	assert_null(strstr(rows.v[0], "\"ack\""));
	test_rows_free(&rows);
	assert_true(taskstate_has_scope(ts, "hpc", "c2"));
	assert_true(taskstate_has_scope(ts, "hpc", "c3"));
	/* The task took its cluster as its scope. */
	assert_int_equal(taskstate_keep_scopes(ts, "hpc", none, 1), 1);
	taskstate_free(ts);
	statefile_free(sf);
}

/* taskstate_foreach callback: "cluster/id" of each task, in order. */
static void
test_ids_cb(const char *watch, const struct task *t0, void *arg)
{
	struct test_rows *rows = arg;

	assert_true(rows->n < 16);
	rows->v[rows->n++] = xasprintf("%s/%s", t0->cluster_id, t0->id);
}

/*
 * A task table of a daemon that keyed DWS actions by their id: each with
 * a submit time is keyed by its run on restore (the provider's key), so
 * the first poll finds it whatever id DWS now sends; one without keeps
 * its id.  Other APIs keep their ids.
 */
static void
test_dws_rekey(void **state)
{
	char *clusters[] = { "c1" };
	struct config conf;
	struct config_watch w;
	struct taskstate *ts = taskstate_new();
	struct statefile *sf = statefile_new(t.dir);
	struct test_rows rows;

	test_hpc_conf(&conf, &w, clusters, 1);
	w.name = (char *)"dws";
	w.api = CONFIG_API_DWS_ACTIONS;
	test_write(t.path,
	    "{\"version\":1,\"kind\":\"taskwatch-tasks\",\"watches\":["
	    "{\"name\":\"dws\",\"api\":\"dws.actions\","
	    "\"account\":\"hw-prod\"}]}\n"
	    "{\"watch\":\"dws\",\"task\":{\"id\":\"uuid-1\","
	    "\"type\":\"SNAPSHOTTING\",\"cluster_id\":\"c1\","
	    "\"state\":\"RUNNING\",\"started_at\":\"2025-05-19T09:05:10Z\"}}\n"
	    "{\"watch\":\"dws\",\"task\":{\"id\":\"uuid-2\","
	    "\"type\":\"RESIZE_FAILURE\",\"cluster_id\":\"c1\","
	    "\"state\":\"FAILED\",\"started_at\":\"2025-05-19T08:00:00Z\"}}\n"
	    "{\"watch\":\"dws\",\"task\":{\"id\":\"uuid-3\","
	    "\"type\":\"RESTORING\",\"cluster_id\":\"c1\","
	    "\"state\":\"RUNNING\"}}\n"
	    "{\"watch\":\"dws\",\"task\":{\"id\":"
	    "\"RESTORING@2025-05-19T07:00:00Z\",\"type\":\"RESTORING\","
	    "\"cluster_id\":\"c1\",\"state\":\"RUNNING\","
	    "\"started_at\":\"2025-05-19T07:00:00Z\"}}\n");
	assert_int_equal(statefile_load(sf, ts, &conf), 4);
	memset(&rows, 0, sizeof(rows));
	taskstate_foreach(ts, "dws", test_ids_cb, &rows);
	qsort(rows.v, rows.n, sizeof(rows.v[0]), test_cmp);
	assert_int_equal(rows.n, 4);
	assert_string_equal(rows.v[0], "c1/GROWING@2025-05-19T08:00:00Z");
	assert_string_equal(rows.v[1], "c1/RESTORING@2025-05-19T07:00:00Z");
	assert_string_equal(rows.v[2], "c1/SNAPSHOTTING@2025-05-19T09:05:10Z");
	assert_string_equal(rows.v[3], "c1/uuid-3");
	test_rows_free(&rows);
	taskstate_free(ts);
	statefile_free(sf);
}

/*
 * The learned durations are saved in the header and restored; a header
 * whose durations cannot be read restores the tasks, learns anew, and
 * says so.
 */
static void
test_durations(void **state)
{
	struct taskstate *ts = test_table(), *ts2;
	struct taskstate_watch tw;
	struct task_list l = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };
	struct statefile *sf = statefile_new(t.dir);
	struct taskstate_expect x;
	struct task *tk;
	char *text, *log, *bad, *old, *full;

	(void)state;
	tk = task_list_add(&l);
	test_bare_task(tk, "done", TASK_SUCCEEDED);
	tk->type = xstrdup("Backup");
	tk->started_at = NOW - 600;
	tk->ended_at = NOW - 100;
	test_tw(&tw, &t.watches[0]);
	taskstate_apply(ts, &tw, &l, 1, 0, 0, NOW, &out, NULL);
	evt_list_clear(&out);
	taskstate_expect(ts, tw.account, tw.api, tk, 1, &x);
	assert_int_equal(x.count, 1);
	assert_int_equal(x.max_s, 500);

	test_log_start();
	assert_int_equal(statefile_save(sf, ts, &t.conf, NOW), 0);
	ts2 = taskstate_new();
	assert_true(statefile_load(sf, ts2, &t.conf) >= 1);
	free(test_log_stop());
	taskstate_expect(ts2, tw.account, tw.api, tk, 1, &x);
	assert_int_equal(x.count, 1);
	assert_int_equal(x.max_s, 500);
	taskstate_free(ts2);

	/* Durations that are no table: the tasks stay, learning starts anew. */
	text = test_read(statefile_path(sf));
	bad = strstr(text, "\"durations\":{\"version\":1,\"keys\":[");
	assert_non_null(bad);
	bad += strlen("\"durations\":{\"version\":1,\"keys\":[");
	old = xstrndup(text, (size_t)(bad - text));
	full = xasprintf("%s7,%s", old, bad);
	test_write(statefile_path(sf), full);
	free(old);
	free(full);
	free(text);
	test_log_start();
	ts2 = taskstate_new();
	assert_true(statefile_load(sf, ts2, &t.conf) >= 1);
	log = test_log_stop();
	assert_non_null(
	    strstr(log, "the learned task durations cannot be read"));
	free(log);
	taskstate_expect(ts2, tw.account, tw.api, tk, 1, &x);
	assert_int_equal(x.count, 0);
	taskstate_free(ts2);
	task_list_clear(&l);
	statefile_free(sf);
	taskstate_free(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    test_round_trip, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_durations, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_format, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_missing, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_corrupt_lines, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_version, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_changed_watch, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_changed_project, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_atomic, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_first_poll_missed, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_vanish_missed, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_changes, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_scopes, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_scopes_legacy, test_setup, test_teardown),
		cmocka_unit_test_setup_teardown(
		    test_dws_rekey, test_setup, test_teardown),
	};

	log_init("test_statefile", 1, 0);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
