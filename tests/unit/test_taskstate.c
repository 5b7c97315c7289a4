/*
 * Unit tests for the task table and the diff: baseline, every event kind,
 * the gone list after complete and incomplete listings, confirmation,
 * duplicates, the missed flag, counts, forgetting a watch and scale.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "evt.h"
#include "task.h"
#include "taskstate.h"
#include "xmalloc.h"

static const struct taskstate_watch test_w = { .watch = "dds-prod",
	.api = "dds.jobs",
	.account = "hw-prod",
	.region = "cn-north-4",
	.stall_after_ms = 60000 };

static const struct taskstate_watch test_w2 = { .watch = "dws-prod",
	.api = "dws.actions",
	.account = "hw-prod",
	.region = "cn-north-4" };

/* Append a task to l. */
static struct task *
test_add(struct task_list *l, const char *cluster, const char *id,
    enum task_state state, const char *raw, int progress)
{
	struct task *t = task_list_add(l);

	t->id = xstrdup(id);
	t->type = xstrdup("RestartInstance");
	t->cluster_id = xstrdup(cluster);
	t->cluster_name = xstrdup("db-one");
	t->state = state;
	t->raw_status = xstrdup(raw);
	t->progress = progress;
	t->started_at = 1000;
	return t;
}

/* The task of the table with this id (first match), via foreach. */
struct test_find {
	const char *id;
	struct task copy;
	int found;
};

/* foreach callback: copy the task with the wanted id. */
static void
test_find_cb(const char *watch, const struct task *t, void *arg)
{
	struct test_find *f = arg;

	if (strcmp(t->id, f->id) == 0 && !f->found) {
		task_copy(&f->copy, t);
		f->found = 1;
	}
}

/* Find a task of a watch by id; returns 1 and fills out (caller clears). */
static int
test_find(
    struct taskstate *ts, const char *watch, const char *id, struct task *out)
{
	struct test_find f;

	memset(&f, 0, sizeof(f));
	f.id = id;
	task_init(&f.copy);
	taskstate_foreach(ts, watch, test_find_cb, &f);
	*out = f.copy;
	return f.found;
}

/* A table holding a silent baseline of two running tasks at t=0. */
static struct taskstate *
test_baseline(void)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct task_list gone = { 0 };

	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	test_add(&l, "c1", "b", TASK_RUNNING, "Running", 50);
	taskstate_apply(ts, &test_w, &l, 1, 1, 0, 0, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, 0);
	task_list_clear(&l);
	return ts;
}

/* The baseline fills the table silently and marks the watch known. */
static void
test_silent_baseline(void **state)
{
	struct taskstate *ts;

	(void)state;
	ts = test_baseline();
	assert_int_equal(taskstate_count(ts, NULL, -1), 2);
	assert_int_equal(taskstate_count(ts, "dds-prod", TASK_RUNNING), 2);
	assert_true(taskstate_has_watch(ts, "dds-prod"));
	assert_false(taskstate_has_watch(ts, "dws-prod"));
	taskstate_free(ts);
	taskstate_free(NULL);
}

/* An empty first listing still gives the watch a baseline. */
static void
test_has_watch_empty(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };

	(void)state;
	assert_false(taskstate_has_watch(ts, "dws-prod"));
	taskstate_apply(ts, &test_w2, &l, 1, 1, 0, 5, &out, NULL);
	assert_true(taskstate_has_watch(ts, "dws-prod"));
	assert_int_equal(taskstate_count(ts, "dws-prod", -1), 0);
	taskstate_free(ts);
}

/* A new task gives appeared with the record and no previous. */
static void
test_appeared(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct task_list gone = { 0 };
	struct evt *ev;

	(void)state;
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	test_add(&l, "c1", "b", TASK_RUNNING, "Running", 50);
	test_add(&l, "c2", "a", TASK_PENDING, "Pending", TASK_PROGRESS_NONE);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 30, &out, &gone);
	assert_int_equal(out.n, 1);
	assert_int_equal(gone.n, 0);
	ev = out.v[0];
	assert_int_equal(ev->kind, EVT_APPEARED);
	assert_true(ev->has_task);
	assert_false(ev->has_previous);
	assert_string_equal(ev->task.cluster_id, "c2");
	assert_string_equal(ev->task.id, "a");
	assert_int_equal(ev->task.state, TASK_PENDING);
	assert_string_equal(ev->watch, "dds-prod");
	assert_string_equal(ev->api, "dds.jobs");
	assert_string_equal(ev->account, "hw-prod");
	assert_string_equal(ev->region, "cn-north-4");
	assert_int_equal(ev->occurred_at, 1000); /* started_at */
	assert_int_equal(ev->observed_at, 30);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_INFO);
	assert_int_equal(strlen(ev->id), EVT_ID_LEN);
	assert_null(ev->obs);
	assert_false(ev->missed);
	assert_int_equal(taskstate_count(ts, NULL, -1), 3);
	evt_list_clear(&out);

	/* Without a start time it occurred when observed. */
	test_add(&l, "c3", "z", TASK_RUNNING, "Running", 1)->started_at =
	    TASK_TIME_NONE;
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 40, &out, &gone);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->occurred_at, 40);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* A state change gives transition with the previous state, raw, progress. */
static void
test_transition(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct task *t;
	struct task rec;
	struct evt *ev;

	(void)state;
	t = test_add(&l, "c1", "a", TASK_FAILED, "Failed", 60);
	t->ended_at = 2000;
	t->reason = xstrdup("disk full");
	test_add(&l, "c1", "b", TASK_RUNNING, "Running", 50);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 30, &out, NULL);
	assert_int_equal(out.n, 1);
	ev = out.v[0];
	assert_int_equal(ev->kind, EVT_TRANSITION);
	assert_true(ev->has_previous);
	assert_int_equal(ev->prev_state, TASK_RUNNING);
	assert_string_equal(ev->prev_raw, "Running");
	assert_int_equal(ev->prev_progress, 10);
	assert_int_equal(ev->task.state, TASK_FAILED);
	assert_string_equal(ev->task.raw_status, "Failed");
	assert_string_equal(ev->task.reason, "disk full");
	assert_int_equal(ev->occurred_at, 2000); /* ended_at */
	assert_int_equal(ev->observed_at, 30);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_CRITICAL);
	assert_true(test_find(ts, "dds-prod", "a", &rec));
	assert_int_equal(rec.state, TASK_FAILED);
	assert_string_equal(rec.reason, "disk full");
	task_clear(&rec);
	assert_int_equal(taskstate_count(ts, "dds-prod", TASK_FAILED), 1);
	assert_int_equal(taskstate_count(ts, "dds-prod", TASK_RUNNING), 1);
	evt_list_clear(&out);

	/* Same listing again: nothing. */
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 40, &out, NULL);
	assert_int_equal(out.n, 0);

	/* To a non-terminal state: occurred when observed. */
	task_list_clear(&l);
	t = test_add(&l, "c1", "a", TASK_ROLLING_BACK, "ROLLBACK_RUNNING", 60);
	t->ended_at = 2000;
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 50, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->occurred_at, 50);
	assert_int_equal(out.v[0]->prev_state, TASK_FAILED);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* Other fields changing in the same state update the record silently. */
static void
test_silent_update(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct task *t;
	struct task rec;

	(void)state;
	t = test_add(&l, "c1", "a", TASK_RUNNING, "RUNNING", 40);
	t->reason = xstrdup("step 3");
	t->detail = xstrdup("{\"step\":3}");
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 30, &out, NULL);
	assert_int_equal(out.n, 0);
	assert_true(test_find(ts, "dds-prod", "a", &rec));
	assert_int_equal(rec.progress, 40);
	assert_string_equal(rec.raw_status, "RUNNING");
	assert_string_equal(rec.reason, "step 3");
	assert_string_equal(rec.detail, "{\"step\":3}");
	task_clear(&rec);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* Stalled fires once per stall, again only after progress moved. */
static void
test_stalled(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	char id1[EVT_ID_LEN + 1];
	struct evt *ev;

	(void)state;
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 59, &out, NULL);
	assert_int_equal(out.n, 0);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 60, &out, NULL);
	assert_int_equal(out.n, 1);
	ev = out.v[0];
	assert_int_equal(ev->kind, EVT_STALLED);
	assert_true(ev->has_previous);
	assert_int_equal(ev->prev_state, TASK_RUNNING);
	assert_int_equal(ev->prev_progress, 10);
	assert_int_equal(ev->task.progress, 10);
	assert_string_equal(ev->obs, "stuck at 10");
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	memcpy(id1, ev->id, sizeof(id1));
	evt_list_clear(&out);

	/* Once per stall. */
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 120, &out, NULL);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 500, &out, NULL);
	assert_int_equal(out.n, 0);

	/* Progress moves at 600, stalls again at 660. */
	task_list_clear(&l);
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 20);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 600, &out, NULL);
	assert_int_equal(out.n, 0);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 659, &out, NULL);
	assert_int_equal(out.n, 0);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 660, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_STALLED);
	assert_string_equal(out.v[0]->obs, "stuck at 20");
	assert_int_equal(out.v[0]->task.progress, 20);
	assert_string_not_equal(out.v[0]->id, id1);
	evt_list_clear(&out);

	/* A silent poll never stalls; the next normal one does. */
	task_list_clear(&l);
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 30);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 700, &out, NULL);
	taskstate_apply(ts, &test_w, &l, 0, 1, 0, 800, &out, NULL);
	assert_int_equal(out.n, 0);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 801, &out, NULL);
	assert_int_equal(out.n, 1);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/*
 * Two replicas that first saw a task at different times (one at 0, one
 * at 30) report its stall with the same id: the id holds the progress it
 * is stuck at, not when each saw it move.
 */
static void
test_stalled_replicas(void **state)
{
	struct taskstate *a = taskstate_new(), *b = taskstate_new();
	struct task_list l = { 0 };
	struct evt_list oa = { 0 }, ob = { 0 };

	(void)state;
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	taskstate_apply(a, &test_w, &l, 1, 1, 0, 0, &oa, NULL);
	taskstate_apply(b, &test_w, &l, 1, 1, 0, 30, &ob, NULL);
	taskstate_apply(a, &test_w, &l, 1, 0, 0, 60, &oa, NULL);
	taskstate_apply(b, &test_w, &l, 1, 0, 0, 90, &ob, NULL);
	assert_int_equal(oa.n, 1);
	assert_int_equal(ob.n, 1);
	assert_int_equal(oa.v[0]->kind, EVT_STALLED);
	assert_string_equal(oa.v[0]->id, ob.v[0]->id);
	evt_list_clear(&oa);
	evt_list_clear(&ob);
	task_list_clear(&l);
	taskstate_free(a);
	taskstate_free(b);
}

/* Stall detection is off with stall_after 0 and for non-running tasks. */
static void
test_stall_off(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };

	(void)state;
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	taskstate_apply(ts, &test_w2, &l, 1, 1, 0, 0, &out, NULL);
	taskstate_apply(ts, &test_w2, &l, 1, 0, 0, 100000, &out, NULL);
	assert_int_equal(out.n, 0);
	task_list_clear(&l);
	test_add(&l, "c1", "p", TASK_PENDING, "Pending", 0);
	taskstate_apply(ts, &test_w, &l, 1, 1, 0, 0, &out, NULL);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 100000, &out, NULL);
	assert_int_equal(out.n, 0);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* A complete listing puts missing tasks in gone and keeps them. */
static void
test_gone_complete(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct task_list gone = { 0 };

	(void)state;
	test_add(&l, "c1", "b", TASK_RUNNING, "Running", 50);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 30, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, 1);
	assert_string_equal(gone.v[0].id, "a");
	assert_string_equal(gone.v[0].cluster_id, "c1");
	assert_string_equal(gone.v[0].raw_status, "Running");
	assert_int_equal(gone.v[0].progress, 10);
	assert_int_equal(taskstate_count(ts, NULL, -1), 2);
	task_list_clear(&gone);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* An incomplete listing never yields gone tasks, even if all are missing. */
static void
test_gone_incomplete(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct task_list gone = { 0 };

	(void)state;
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 30, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, 0);
	assert_int_equal(taskstate_count(ts, "dds-prod", -1), 2);
	/* And the following complete one does. */
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 31, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, 2);
	task_list_clear(&gone);
	taskstate_free(ts);
}

/* Vanished comes only from taskstate_vanish, with the last known record. */
static void
test_vanish(void **state)
{
	struct taskstate *ts = test_baseline();
	struct evt_list out = { 0 };
	struct task_list l = { 0 };
	struct task *t;
	struct evt *ev;

	(void)state;
	/* The caller's copy differs: the event keeps the table's record. */
	t = test_add(&l, "c1", "a", TASK_SUCCEEDED, "Completed", 100);
	taskstate_vanish(ts, &test_w, t, 90, &out);
	assert_int_equal(out.n, 1);
	ev = out.v[0];
	assert_int_equal(ev->kind, EVT_VANISHED);
	assert_int_equal(ev->task.state, TASK_RUNNING);
	assert_string_equal(ev->task.raw_status, "Running");
	assert_int_equal(ev->task.progress, 10);
	assert_true(ev->has_previous);
	assert_int_equal(ev->prev_state, TASK_RUNNING);
	assert_string_equal(ev->prev_raw, "Running");
	assert_int_equal(ev->prev_progress, 10);
	assert_int_equal(ev->occurred_at, 90);
	assert_int_equal(ev->observed_at, 90);
	assert_int_equal(ev->severity, CONFIG_SEVERITY_WARNING);
	assert_int_equal(taskstate_count(ts, NULL, -1), 1);
	evt_list_clear(&out);

	/* Not in the table (any more): nothing. */
	taskstate_vanish(ts, &test_w, t, 91, &out);
	taskstate_vanish(ts, &test_w2, t, 91, &out);
	assert_int_equal(out.n, 0);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* A test base type: X_FAILED is X. */
static const char *
test_base_type(const char *type)
{
	if (strcmp(type, "SNAPSHOTTING_FAILED") == 0)
		return "SNAPSHOTTING";
	return NULL;
}

/*
 * One action shown per cluster and name: a task that leaves the listing
 * while a newer run of its base type is listed on its cluster was
 * replaced (info); without such a run, or where the API does not
 * replace, it vanished.  Events carry the base type.
 */
static void
test_replaced(void **state)
{
	struct taskstate_watch w = test_w2;
	struct taskstate *ts = taskstate_new();
	struct task_list l = { 0 }, gone = { 0 };
	struct evt_list out = { 0 };
	struct task *t;
	size_t i;

	(void)state;
	w.base_type = test_base_type;
	w.replaces = 1;
	t = test_add(&l, "c1", "a1", TASK_FAILED, "FAILED", 100);
	free(t->type);
	t->type = xstrdup("SNAPSHOTTING");
	t = test_add(&l, "c1", "f1", TASK_FAILED, "FAILED", 100);
	free(t->type);
	t->type = xstrdup("SNAPSHOTTING_FAILED");
	t = test_add(&l, "c2", "f2", TASK_FAILED, "FAILED", 100);
	free(t->type);
	t->type = xstrdup("SNAPSHOTTING_FAILED");
	taskstate_apply(ts, &w, &l, 1, 1, 0, 0, &out, &gone);
	task_list_clear(&l);

	/* A new SNAPSHOTTING on c1: a1 and f1 leave, f2 (c2) too. */
	t = test_add(&l, "c1", "a2", TASK_RUNNING, "RUNNING", 0);
	free(t->type);
	t->type = xstrdup("SNAPSHOTTING");
	t->started_at = 2000;
	taskstate_apply(ts, &w, &l, 1, 0, 0, 10, &out, &gone);
	assert_int_equal(out.n, 1); /* a2 appeared */
	assert_null(out.v[0]->base_type);
	evt_list_clear(&out);
	assert_int_equal(gone.n, 3);
	for (i = 0; i < gone.n; i++)
		taskstate_vanish(ts, &w, &gone.v[i], 10, &out);
	assert_int_equal(out.n, 3);
	for (i = 0; i < out.n; i++) {
		if (strcmp(out.v[i]->task.id, "f2") == 0) {
			assert_int_equal(out.v[i]->kind, EVT_VANISHED);
			assert_string_equal(
			    out.v[i]->base_type, "SNAPSHOTTING");
		} else
			assert_int_equal(out.v[i]->kind, EVT_REPLACED);
		assert_int_equal(out.v[i]->severity, CONFIG_SEVERITY_INFO);
	}
	evt_list_clear(&out);
	task_list_clear(&gone);
	task_list_clear(&l);
	taskstate_free(ts);

	/* An API that does not replace: vanished. */
	ts = taskstate_new();
	w.replaces = 0;
	t = test_add(&l, "c1", "a1", TASK_FAILED, "FAILED", 100);
	taskstate_apply(ts, &w, &l, 1, 1, 0, 0, &out, &gone);
	task_list_clear(&l);
	test_add(&l, "c1", "a2", TASK_RUNNING, "RUNNING", 0);
	taskstate_apply(ts, &w, &l, 1, 0, 0, 10, &out, &gone);
	evt_list_clear(&out);
	assert_int_equal(gone.n, 1);
	taskstate_vanish(ts, &w, &gone.v[0], 10, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_VANISHED);
	evt_list_clear(&out);
	task_list_clear(&gone);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* Confirm updates the entry and drops terminal tasks quietly. */
static void
test_confirm(void **state)
{
	struct taskstate *ts = test_baseline();
	struct evt_list out = { 0 };
	struct task_list l = { 0 };
	struct task *t;

	(void)state;
	/* Still running: kept, no event. */
	t = test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	taskstate_confirm(ts, &test_w, t, 30, &out);
	assert_int_equal(out.n, 0);
	assert_int_equal(taskstate_count(ts, NULL, -1), 2);

	/* Finished meanwhile: transition, then dropped without vanished. */
	t = test_add(&l, "c1", "b", TASK_SUCCEEDED, "Completed", 100);
	t->ended_at = 1500;
	taskstate_confirm(ts, &test_w, t, 31, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_TRANSITION);
	assert_int_equal(out.v[0]->prev_state, TASK_RUNNING);
	assert_int_equal(out.v[0]->task.state, TASK_SUCCEEDED);
	assert_int_equal(out.v[0]->occurred_at, 1500);
	assert_int_equal(taskstate_count(ts, NULL, -1), 1);
	evt_list_clear(&out);
	task_list_clear(&l);

	/* Failed meanwhile: transition, dropped. */
	t = test_add(&l, "c1", "a", TASK_FAILED, "Failed", 10);
	taskstate_confirm(ts, &test_w, t, 32, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(taskstate_count(ts, NULL, -1), 0);
	evt_list_clear(&out);
	task_list_clear(&l);

	/* Already terminal in the table: dropped with no event at all. */
	t = test_add(&l, "c1", "x", TASK_FAILED, "Failed", 10);
	taskstate_apply(ts, &test_w, &l, 0, 1, 0, 33, &out, NULL);
	assert_int_equal(taskstate_count(ts, NULL, -1), 1);
	taskstate_confirm(ts, &test_w, t, 34, &out);
	assert_int_equal(out.n, 0);
	assert_int_equal(taskstate_count(ts, NULL, -1), 0);
	/* Unknown task: nothing. */
	taskstate_confirm(ts, &test_w, t, 35, &out);
	assert_int_equal(out.n, 0);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* A task listed twice counts once, from its last occurrence. */
static void
test_duplicate(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct task rec;

	(void)state;
	test_add(&l, "c1", "n", TASK_RUNNING, "Running", 1);
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	test_add(&l, "c1", "n", TASK_FAILED, "Failed", 2);
	test_add(&l, "c1", "a", TASK_SUCCEEDED, "Completed", 100);
	test_add(&l, "c1", "b", TASK_RUNNING, "Running", 50);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 30, &out, NULL);
	assert_int_equal(out.n, 2);
	/* In listing order of the last occurrences: n, then a. */
	assert_int_equal(out.v[0]->kind, EVT_APPEARED);
	assert_string_equal(out.v[0]->task.id, "n");
	assert_int_equal(out.v[0]->task.state, TASK_FAILED);
	assert_int_equal(out.v[0]->severity, CONFIG_SEVERITY_CRITICAL);
	assert_int_equal(out.v[1]->kind, EVT_TRANSITION);
	assert_string_equal(out.v[1]->task.id, "a");
	assert_int_equal(out.v[1]->task.state, TASK_SUCCEEDED);
	assert_int_equal(taskstate_count(ts, NULL, -1), 3);
	assert_true(test_find(ts, "dds-prod", "n", &rec));
	assert_int_equal(rec.progress, 2);
	task_clear(&rec);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* Events come in listing order. */
static void
test_order(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	char id[16];
	size_t i;

	(void)state;
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "t%zu", i);
		test_add(&l, "c9", id, TASK_PENDING, "Pending", 0);
	}
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 30, &out, NULL);
	assert_int_equal(out.n, 10);
	for (i = 0; i < 10; i++) {
		snprintf(id, sizeof(id), "t%zu", i);
		assert_string_equal(out.v[i]->task.id, id);
	}
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* With missed every event is marked missed. */
static void
test_missed(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	char id[EVT_ID_LEN + 1];

	(void)state;
	test_add(&l, "c1", "a", TASK_FAILED, "Failed", 10);
	test_add(&l, "c1", "new", TASK_SUCCEEDED, "Completed", 100);
	taskstate_apply(ts, &test_w, &l, 0, 0, 1, 30, &out, NULL);
	assert_int_equal(out.n, 2);
	assert_true(out.v[0]->missed);
	assert_true(out.v[1]->missed);
	memcpy(id, out.v[0]->id, sizeof(id));
	evt_list_clear(&out);
	taskstate_free(ts);

	/* The id does not depend on missed (or the time). */
	ts = test_baseline();
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 99, &out, NULL);
	assert_int_equal(out.n, 2);
	assert_false(out.v[0]->missed);
	assert_string_equal(out.v[0]->id, id);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* Counts by watch and state. */
static void
test_counts(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };

	(void)state;
	test_add(&l, "x", "1", TASK_FAILED, "FAILED", 0);
	test_add(&l, "x", "2", TASK_SUCCEEDED, "SUCCESS", 0);
	test_add(&l, "x", "3", TASK_SUCCEEDED, "SUCCESS", 0);
	test_add(&l, "x", "4", 99, "?", 0); /* out of range: UNKNOWN */
	taskstate_apply(ts, &test_w2, &l, 1, 1, 0, 0, &out, NULL);
	assert_int_equal(taskstate_count(ts, NULL, -1), 6);
	assert_int_equal(taskstate_count(ts, "dws-prod", -1), 4);
	assert_int_equal(taskstate_count(ts, "dds-prod", -1), 2);
	assert_int_equal(taskstate_count(ts, "nope", -1), 0);
	assert_int_equal(taskstate_count(ts, "dws-prod", TASK_SUCCEEDED), 2);
	assert_int_equal(taskstate_count(ts, NULL, TASK_RUNNING), 2);
	assert_int_equal(taskstate_count(ts, NULL, TASK_FAILED), 1);
	assert_int_equal(taskstate_count(ts, NULL, TASK_UNKNOWN), 1);
	assert_int_equal(taskstate_count(ts, NULL, TASK_STATE_COUNT), 0);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* foreach callback: count calls. */
static void
test_count_cb(const char *watch, const struct task *t, void *arg)
{
	(*(size_t *)arg)++;
}

/* Forgetting a watch drops its tasks and its baseline only. */
static void
test_forget(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	size_t n = 0;

	(void)state;
	test_add(&l, "c1", "a", TASK_RUNNING, "RUNNING", 0);
	taskstate_apply(ts, &test_w2, &l, 1, 1, 0, 0, &out, NULL);
	taskstate_foreach(ts, NULL, test_count_cb, &n);
	assert_int_equal(n, 3);
	taskstate_forget_watch(ts, "dds-prod");
	taskstate_forget_watch(ts, "nope");
	assert_false(taskstate_has_watch(ts, "dds-prod"));
	assert_true(taskstate_has_watch(ts, "dws-prod"));
	assert_int_equal(taskstate_count(ts, NULL, -1), 1);
	n = 0;
	taskstate_foreach(ts, "dds-prod", test_count_cb, &n);
	assert_int_equal(n, 0);
	taskstate_foreach(ts, "dws-prod", test_count_cb, &n);
	assert_int_equal(n, 1);
	/* The same key in the forgotten watch appears anew. */
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 5, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_APPEARED);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/*
 * 1,000 watches, found by name (every poll asks): each keeps its own
 * tasks and counts while others are forgotten from the middle of the
 * table and the buckets grow under them; a forgotten name comes back anew.
 */
static void
test_many_watches(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct taskstate_watch w = test_w;
	struct evt_list out = { 0 };
	struct task_list l = { 0 };
	char name[1000][16];
	size_t i, j, n;

	(void)state;
	for (i = 0; i < 1000; i++) {
		snprintf(name[i], sizeof(name[i]), "c%04zu", i);
		w.watch = name[i];
		for (j = 0; j <= i % 3; j++)
			test_add(&l, name[i],
			    j == 0       ? "a"
				: j == 1 ? "b"
					 : "c",
			    j == 0 ? TASK_FAILED : TASK_RUNNING, "x", 0);
		taskstate_apply(ts, &w, &l, 1, 1, 0, 0, &out, NULL);
		task_list_clear(&l);
	}
	for (i = 0; i < 1000; i += 7)
		taskstate_forget_watch(ts, name[i]);
	n = 0;
	for (i = 0; i < 1000; i++) {
		size_t c = i % 7 == 0 ? 0 : i % 3 + 1, seen = 0;

		assert_int_equal(taskstate_has_watch(ts, name[i]), i % 7 != 0);
		assert_int_equal(taskstate_count(ts, name[i], -1), c);
		assert_int_equal(
		    taskstate_count(ts, name[i], TASK_FAILED), c > 0);
		taskstate_foreach(ts, name[i], test_count_cb, &seen);
		assert_int_equal(seen, c);
		n += c;
	}
	assert_int_equal(taskstate_count(ts, NULL, -1), n);
	assert_int_equal(taskstate_count(ts, "c10000", -1), 0);
	/* Back after being forgotten: a new baseline, silent again. */
	w.watch = name[7];
	test_add(&l, name[7], "a", TASK_RUNNING, "x", 0);
	taskstate_apply(ts, &w, &l, 1, 1, 0, 1, &out, NULL);
	assert_int_equal(out.n, 0);
	assert_int_equal(taskstate_count(ts, name[7], -1), 1);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* 100,000 tasks: insert, diff a few changes, and a complete listing. */
static void
test_scale(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { 0 }, half = { 0 }, gone = { 0 };
	struct evt_list out = { 0 };
	char id[32];
	size_t i, n = 100000;

	(void)state;
	for (i = 0; i < n; i++) {
		snprintf(id, sizeof(id), "task-%zu", i);
		test_add(
		    &l, i % 2 ? "c1" : "c2", id, TASK_RUNNING, "RUNNING", 0);
	}
	taskstate_apply(ts, &test_w2, &l, 1, 1, 0, 0, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(taskstate_count(ts, NULL, -1), n);
	for (i = 0; i < n; i += 1000) {
		l.v[i].state = TASK_SUCCEEDED;
		free(l.v[i].raw_status);
		l.v[i].raw_status = xstrdup("SUCCESS");
	}
	taskstate_apply(ts, &test_w2, &l, 1, 0, 0, 10, &out, &gone);
	assert_int_equal(out.n, n / 1000);
	assert_int_equal(gone.n, 0);
	assert_int_equal(taskstate_count(ts, NULL, TASK_SUCCEEDED), n / 1000);
	evt_list_clear(&out);
	for (i = 0; i < n; i += 2)
		task_copy(task_list_add(&half), &l.v[i]);
	taskstate_apply(ts, &test_w2, &half, 1, 0, 0, 20, &out, &gone);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, n / 2);
	for (i = 0; i < gone.n; i++)
		taskstate_vanish(ts, &test_w2, &gone.v[i], 30, &out);
	assert_int_equal(out.n, n / 2);
	assert_int_equal(taskstate_count(ts, NULL, -1), n / 2);
	evt_list_clear(&out);
	task_list_clear(&gone);
	task_list_clear(&half);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* Append a task listed unchanged: its key and digest only. */
static void
test_add_unchanged(
    struct task_list *l, const char *cluster, const char *id, uint64_t digest)
{
	struct task *t = task_list_add(l);

	t->id = xstrdup(id);
	t->cluster_id = xstrdup(cluster);
	t->digest = digest;
	t->unchanged = 1;
}

/* 1 if the table holds this key with this digest. */
static int
test_known(struct taskstate *ts, const char *watch, const char *cluster,
    const char *id, uint64_t digest)
{
	struct task t;

	task_init(&t);
	t.id = (char *)id;
	t.cluster_id = (char *)cluster;
	t.digest = digest;
	return taskstate_known(ts, watch, &t);
}

/*
 * Digests: the table knows the record each task came from; a task listed
 * unchanged counts as listed (nothing vanishes), keeps its record, and
 * still stalls; an unchanged key the table cannot match is ignored.
 */
static void
test_unchanged(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { 0 }, gone = { 0 };
	struct evt_list out = { 0 };
	struct task rec;

	(void)state;
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10)->digest = 11;
	test_add(&l, "c1", "b", TASK_RUNNING, "Running", 50)->digest = 22;
	taskstate_apply(ts, &test_w, &l, 1, 1, 0, 0, &out, &gone);
	task_list_clear(&l);
	assert_true(test_known(ts, "dds-prod", "c1", "a", 11));
	assert_false(test_known(ts, "dds-prod", "c1", "a", 12));
	assert_false(test_known(ts, "dds-prod", "c1", "a", 0));
	assert_false(test_known(ts, "dds-prod", "c2", "a", 11));
	assert_false(test_known(ts, "dds-prod", "c1", "zz", 11));
	assert_false(test_known(ts, "dws-prod", "c1", "a", 11));

	/* a unchanged, b failed: one transition, nothing gone. */
	test_add_unchanged(&l, "c1", "a", 11);
	test_add(&l, "c1", "b", TASK_FAILED, "Failed", 50)->digest = 23;
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 30, &out, &gone);
	task_list_clear(&l);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_TRANSITION);
	assert_string_equal(out.v[0]->task.id, "b");
	assert_int_equal(gone.n, 0);
	evt_list_clear(&out);
	assert_true(test_known(ts, "dds-prod", "c1", "b", 23));
	assert_false(test_known(ts, "dds-prod", "c1", "b", 22));
	assert_true(test_find(ts, "dds-prod", "a", &rec));
	assert_string_equal(rec.type, "RestartInstance");
	assert_string_equal(rec.raw_status, "Running");
	assert_int_equal(rec.progress, 10);
	task_clear(&rec);

	/* Still unchanged past stall_after (60 s): a stalls. */
	test_add_unchanged(&l, "c1", "a", 11);
	test_add_unchanged(&l, "c1", "b", 23);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 70, &out, &gone);
	task_list_clear(&l);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_STALLED);
	assert_string_equal(out.v[0]->task.id, "a");
	assert_string_equal(out.v[0]->task.type, "RestartInstance");
	assert_int_equal(gone.n, 0);
	evt_list_clear(&out);

	/* Keys the table cannot match change nothing and add nothing. */
	test_add_unchanged(&l, "c1", "a", 99);
	test_add_unchanged(&l, "c1", "new", 11);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 80, &out, &gone);
	task_list_clear(&l);
	assert_int_equal(out.n, 0);
	assert_int_equal(taskstate_count(ts, "dds-prod", -1), 2);
	assert_true(test_known(ts, "dds-prod", "c1", "a", 11));
	/* In a complete listing such a key still counts as listed. */
	test_add_unchanged(&l, "c1", "a", 99);
	test_add_unchanged(&l, "c1", "b", 23);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 85, &out, &gone);
	task_list_clear(&l);
	assert_int_equal(out.n, 0);
	assert_int_equal(gone.n, 0);

	/* Progress alone moving takes the new record's digest. */
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 20)->digest = 12;
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 90, &out, &gone);
	task_list_clear(&l);
	assert_int_equal(out.n, 0);
	assert_true(test_known(ts, "dds-prod", "c1", "a", 12));
	assert_false(test_known(ts, "dds-prod", "c1", "a", 11));
	taskstate_free(ts);
}

/* Add a task listed in scope with the baseline flag. */
static struct task *
test_add_scoped(struct task_list *l, const char *scope, const char *id,
    enum task_state state, const char *raw, int baseline)
{
	struct task *t = test_add(l, scope, id, state, raw, 10);

	t->scope = xstrdup(scope);
	t->baseline = baseline;
	return t;
}

/*
 * A first poll that read only page 1 records its tasks silently; the next
 * complete listing reports their changes and baselines the rest silently.
 */
static void
test_partial_baseline(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };
	struct task_list gone = { NULL, 0, 0 };

	test_add_scoped(&l, "c1", "page1", TASK_RUNNING, "Running", 1);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 100, &out, NULL);
	assert_int_equal(out.n, 0);
	assert_true(taskstate_has_watch(ts, "dds-prod"));
	assert_false(taskstate_has_scope(ts, "dds-prod", "c1"));
	task_list_clear(&l);
	/* Next poll, complete: page1 failed, page2 was there all along. */
	test_add_scoped(&l, "c1", "page1", TASK_FAILED, "Failed", 1);
	test_add_scoped(&l, "c1", "page2", TASK_FAILED, "Failed", 1);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 110, &out, &gone);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_TRANSITION);
	assert_string_equal(out.v[0]->task.id, "page1");
	assert_int_equal(taskstate_count(ts, "dds-prod", -1), 2);
	evt_list_clear(&out);
	task_list_clear(&l);
	task_list_clear(&gone);
	taskstate_free(ts);
}

/* A new task in a scope that has a baseline is reported, beside a new one. */
static void
test_scope_baseline(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };
	struct task_list gone = { NULL, 0, 0 };
	char *keys[] = { "c1", "c2" };
	char *const *scopes;
	size_t n;

	test_add_scoped(&l, "c1", "a", TASK_RUNNING, "Running", 1);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 100, &out, &gone);
	taskstate_add_scope(ts, "dds-prod", "c1");
	taskstate_add_scope(ts, "dds-prod", "c1");
	assert_true(taskstate_has_scope(ts, "dds-prod", "c1"));
	assert_false(taskstate_has_scope(ts, "dds-prod", "c2"));
	task_list_clear(&l);
	/* c2 is added: its tasks are baselined, c1's are diffed. */
	test_add_scoped(&l, "c1", "a", TASK_FAILED, "Failed", 0);
	test_add_scoped(&l, "c1", "b", TASK_FAILED, "Failed", 0);
	test_add_scoped(&l, "c2", "c", TASK_FAILED, "Failed", 1);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 110, &out, &gone);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[0]->kind, EVT_TRANSITION);
	assert_int_equal(out.v[1]->kind, EVT_APPEARED);
	assert_string_equal(out.v[1]->task.id, "b");
	taskstate_add_scope(ts, "dds-prod", "c2");
	scopes = taskstate_scopes(ts, "dds-prod", &n);
	assert_int_equal(n, 2);
	assert_string_equal(scopes[1], "c2");
	/* c1 is removed: its tasks go quietly, c2 stays with its baseline. */
	assert_int_equal(taskstate_keep_scopes(ts, "dds-prod", keys + 1, 1), 2);
	assert_int_equal(taskstate_count(ts, "dds-prod", -1), 1);
	assert_false(taskstate_has_scope(ts, "dds-prod", "c1"));
	assert_true(taskstate_has_scope(ts, "dds-prod", "c2"));
	evt_list_clear(&out);
	task_list_clear(&l);
	task_list_clear(&gone);
	taskstate_free(ts);
}

/* A lookup's record (no scope) keeps the scope the task was listed in. */
static void
test_scope_kept(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };
	struct task found;
	char *none[] = { "other" };

	test_add_scoped(&l, "c1", "a", TASK_RUNNING, "Running", 1);
	taskstate_apply(ts, &test_w, &l, 1, 0, 0, 100, &out, NULL);
	task_list_clear(&l);
	test_add(&l, "c1", "a", TASK_ROLLING_BACK, "RollingBack", 20);
	taskstate_confirm(ts, &test_w, &l.v[0], 110, &out);
	assert_int_equal(out.n, 1);
	assert_true(test_find(ts, "dds-prod", "a", &found));
	assert_string_equal(found.scope, "c1");
	task_clear(&found);
	assert_int_equal(taskstate_keep_scopes(ts, "dds-prod", none, 1), 1);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/*
 * Absences count the complete listings in a row that lacked a task; a
 * partial listing that has it, or a complete one, starts over.
 */
static void
test_absences(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list l = { NULL, 0, 0 }, none = { NULL, 0, 0 };
	struct task_list gone = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };

	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	taskstate_apply(ts, &test_w, &l, 1, 1, 0, 100, &out, &gone);
	assert_int_equal(taskstate_absences(ts, "dds-prod", &l.v[0]), 0);
	taskstate_apply(ts, &test_w, &none, 1, 0, 0, 101, &out, &gone);
	assert_int_equal(taskstate_absences(ts, "dds-prod", &l.v[0]), 1);
	taskstate_apply(ts, &test_w, &none, 0, 0, 0, 102, &out, NULL);
	assert_int_equal(taskstate_absences(ts, "dds-prod", &l.v[0]), 1);
	taskstate_apply(ts, &test_w, &none, 1, 0, 0, 103, &out, &gone);
	assert_int_equal(taskstate_absences(ts, "dds-prod", &l.v[0]), 2);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 104, &out, NULL);
	assert_int_equal(taskstate_absences(ts, "dds-prod", &l.v[0]), 0);
	assert_int_equal(out.n, 0);
	task_list_clear(&l);
	task_list_clear(&gone);
	taskstate_free(ts);
}

/* Settled once each restored watch took the listings asked for. */
static void
test_settled(void **state)
{
	struct taskstate *ts = taskstate_new();
	struct task_list none = { NULL, 0, 0 }, gone = { NULL, 0, 0 };
	struct evt_list out = { NULL, 0, 0 };

	assert_true(taskstate_settled(ts, 2));
	taskstate_restore_watch(ts, "dds-prod");
	taskstate_apply(ts, &test_w2, &none, 1, 0, 0, 100, &out, &gone);
	assert_false(taskstate_settled(ts, 1));
	taskstate_apply(ts, &test_w, &none, 0, 0, 1, 100, &out, &gone);
	assert_false(taskstate_settled(ts, 1));
	taskstate_apply(ts, &test_w, &none, 1, 0, 1, 101, &out, &gone);
	assert_true(taskstate_settled(ts, 1));
	assert_false(taskstate_settled(ts, 2));
	taskstate_apply(ts, &test_w, &none, 1, 0, 0, 102, &out, &gone);
	assert_true(taskstate_settled(ts, 2));
	taskstate_free(ts);
}

/* The ack of task id of a watch, via foreach_extra (NULL: none). */
struct test_ack_find {
	const char *id;
	const struct evt_ack *ack;
};

/* foreach_extra callback: the ack of the task with the wanted id. */
static void
test_ack_cb(const char *watch, const struct task *t,
    const struct taskstate_extra *x, void *arg)
{
	struct test_ack_find *f = arg;

	if (strcmp(t->id, f->id) == 0)
		f->ack = x->ack;
}

/* The ack the table keeps for task id of a watch; NULL if none. */
static const struct evt_ack *
test_ack_of(struct taskstate *ts, const char *watch, const char *id)
{
	struct test_ack_find f = { id, NULL };

	taskstate_foreach_extra(ts, watch, test_ack_cb, &f);
	return f.ack;
}

/*
 * An ack holds while the task keeps its state (a stall carries it, other
 * fields may change) and ends with any state change, whose event carries
 * it; a vanish carries it too.  Unknown and ambiguous ids are errors.
 */
static void
test_ack(void **state)
{
	struct taskstate *ts = test_baseline();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct taskstate_acked got;
	struct evt_ack *ack;
	char *cause = NULL;

	(void)state;
	/* A task called "a" in two watches, and on two clusters. */
	test_add(&l, "c9", "a", TASK_RUNNING, "Running", 1);
	taskstate_apply(ts, &test_w2, &l, 1, 1, 0, 0, &out, NULL);
	task_list_clear(&l);
	ack = evt_ack_new(1000, 5, "on it\n\033[1m", TASK_UNKNOWN);
	assert_string_equal(ack->comment, "on it[1m");
	assert_int_equal(taskstate_ack(ts, NULL, "a", ack, &got, &cause), -1);
	assert_non_null(strstr(cause, "dds-prod/c1, dws-prod/c9"));
	free(cause);
	cause = NULL;
	assert_int_equal(
	    taskstate_ack(ts, "dds-prod", "nope", ack, &got, &cause), -1);
	assert_string_equal(cause, "no task \"nope\" in watch dds-prod");
	free(cause);
	cause = NULL;
	assert_int_equal(
	    taskstate_ack(ts, "dds-prod", "a", ack, &got, &cause), 0);
	evt_ack_free(ack);
	assert_string_equal(got.watch, "dds-prod");
	assert_string_equal(got.task->cluster_id, "c1");
	assert_false(got.had);
	assert_int_equal(got.ack->state, TASK_RUNNING);
	assert_null(test_ack_of(ts, "dws-prod", "a"));

	/* Same state, other fields move: kept; the stall carries it. */
	test_add(&l, "c1", "a", TASK_RUNNING, "RUNNING", 10);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 59, &out, NULL);
	assert_int_equal(out.n, 0);
	assert_non_null(test_ack_of(ts, "dds-prod", "a"));
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 60, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_STALLED);
	assert_non_null(out.v[0]->ack);
	assert_int_equal(out.v[0]->ack->by_uid, 1000);
	assert_string_equal(out.v[0]->ack->comment, "on it[1m");
	evt_list_clear(&out);
	task_list_clear(&l);

	/* A state change ends it; its event carries the ack it ended. */
	test_add(&l, "c1", "a", TASK_FAILED, "Failed", 10);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 70, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_TRANSITION);
	assert_non_null(out.v[0]->ack);
	assert_int_equal(out.v[0]->ack->state, TASK_RUNNING);
	assert_null(test_ack_of(ts, "dds-prod", "a"));
	evt_list_clear(&out);
	/* The next event of the task has none. */
	task_list_clear(&l);
	test_add(&l, "c1", "a", TASK_RUNNING, "Running", 10);
	taskstate_apply(ts, &test_w, &l, 0, 0, 0, 80, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_null(out.v[0]->ack);
	evt_list_clear(&out);

	/* Removed, then set again; a vanish carries it. */
	ack = evt_ack_new(0, 90, NULL, TASK_UNKNOWN);
	assert_int_equal(
	    taskstate_ack(ts, "dds-prod", "b", ack, &got, &cause), 0);
	assert_int_equal(
	    taskstate_ack(ts, "dds-prod", "b", NULL, &got, &cause), 0);
	assert_true(got.had);
	assert_null(test_ack_of(ts, "dds-prod", "b"));
	assert_int_equal(
	    taskstate_ack(ts, "dds-prod", "b", ack, &got, &cause), 0);
	evt_ack_free(ack);
	taskstate_vanish(ts, &test_w, got.task, 95, &out);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_VANISHED);
	assert_non_null(out.v[0]->ack);
	assert_null(out.v[0]->ack->comment);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/* A max_duration of 100 s for RestartInstance, none for other types. */
static uint64_t
test_max_duration(const void *arg, const char *type)
{
	(void)arg;
	return type != NULL && strcmp(type, "RestartInstance") == 0 ? 100000
								    : 0;
}

/*
 * Overdue from learned durations: twelve runs of 100..210 s that end are
 * learned (per type and per cluster); a run past 3 x p95 gives exactly one
 * overdue, with its object; fewer samples than overdue_min_samples give
 * none; a change of state ends it.
 */
static void
test_overdue_learned(void **state)
{
	struct taskstate_watch w = test_w;
	struct taskstate *ts = taskstate_new();
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct taskstate_expect x;
	struct task *t;
	char id[16];
	int i;

	(void)state;
	w.stall_after_ms = 0;
	w.overdue_factor_pct = 300;
	w.overdue_min_samples = 10;
	taskstate_apply(ts, &w, &l, 1, 1, 0, 0, &out, NULL); /* baseline */
	for (i = 0; i < 12; i++) {
		snprintf(id, sizeof(id), "run-%d", i);
		task_list_clear(&l);
		t = test_add(&l, "c1", id, TASK_RUNNING, "Running", -1);
		t->started_at = 10000 * (i + 1);
		taskstate_apply(
		    ts, &w, &l, 0, 0, 0, t->started_at + 1, &out, NULL);
		task_list_clear(&l);
		t = test_add(&l, "c1", id, TASK_SUCCEEDED, "Completed", -1);
		t->started_at = 10000 * (i + 1);
		t->ended_at = t->started_at + 100 + 10 * i;
		taskstate_apply(
		    ts, &w, &l, 0, 0, 0, t->ended_at + 5, &out, NULL);
		/* Before ten are known, nothing is overdue. */
		if (i == 8) {
			assert_int_equal(out.n, 18);
			task_list_clear(&l);
			t = test_add(
			    &l, "c1", "early", TASK_RUNNING, "Running", -1);
			t->started_at = 1;
			taskstate_apply(ts, &w, &l, 0, 0, 0, 9999, &out, NULL);
			assert_int_equal(out.n, 19); /* appeared only */
			assert_int_equal(out.v[18]->kind, EVT_APPEARED);
		}
	}
	evt_list_clear(&out);
	taskstate_expect(ts, "hw-prod", "dds.jobs", l.v, 10, &x);
	assert_int_equal(x.count, 12);
	assert_true(x.per_cluster);
	assert_in_range(x.p95_s, 200, 220);
	assert_in_range(x.p50_s, 140, 170);
	assert_int_equal(x.max_s, 210);

	/* A hung run: 3 x p95 (about 630 s) passes once. */
	task_list_clear(&l);
	t = test_add(&l, "c1", "hung", TASK_RUNNING, "Running", -1);
	t->started_at = 200000;
	taskstate_apply(ts, &w, &l, 0, 0, 0, 200300, &out, NULL);
	assert_int_equal(out.n, 1); /* appeared */
	taskstate_apply(ts, &w, &l, 0, 0, 0, 200600, &out, NULL);
	assert_int_equal(out.n, 1);
	taskstate_apply(ts, &w, &l, 0, 0, 0, 200700, &out, NULL);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[1]->kind, EVT_OVERDUE);
	assert_int_equal(out.v[1]->severity, CONFIG_SEVERITY_WARNING);
	assert_non_null(
	    strstr(out.v[1]->overdue_doc, "\"source\":\"learned\""));
	assert_non_null(strstr(out.v[1]->overdue_doc, "\"samples\":12"));
	assert_non_null(strstr(out.v[1]->overdue_doc, "\"age_seconds\":700"));
	assert_true(
	    out.v[1]->occurred_at > 200600 && out.v[1]->occurred_at <= 200700);
	/* Once. */
	taskstate_apply(ts, &w, &l, 0, 0, 0, 209000, &out, NULL);
	assert_int_equal(out.n, 2);
	evt_list_clear(&out);

	/* Overdue off: factor 0. */
	w.overdue_factor_pct = 0;
	task_list_clear(&l);
	t = test_add(&l, "c1", "hung2", TASK_RUNNING, "Running", -1);
	t->started_at = 300000;
	taskstate_apply(ts, &w, &l, 0, 0, 0, 309000, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_APPEARED);
	evt_list_clear(&out);
	task_list_clear(&l);
	taskstate_free(ts);
}

/*
 * max_duration fires without anything learned; a finished task seen in
 * the baseline listing teaches its duration; the overdue flag survives a
 * restore, so a restart does not fire it again.
 */
static void
test_overdue_max(void **state)
{
	struct taskstate_watch w = test_w;
	struct taskstate *ts = taskstate_new(), *ts2;
	struct task_list l = { 0 };
	struct evt_list out = { 0 };
	struct taskstate_extra xtra = { 0 };
	struct taskstate_expect x;
	struct task *t;

	(void)state;
	w.stall_after_ms = 0;
	w.overdue_factor_pct = 300;
	w.overdue_min_samples = 10;
	w.max_duration = test_max_duration;
	t = test_add(&l, "c1", "old", TASK_SUCCEEDED, "Completed", -1);
	t->ended_at = 1042;
	taskstate_apply(ts, &w, &l, 1, 1, 0, 5000, &out, NULL); /* baseline */
	assert_int_equal(out.n, 0);
	taskstate_expect(ts, "hw-prod", "dds.jobs", t, 1, &x);
	assert_int_equal(x.count, 1);
	assert_int_equal(x.max_s, 42);

	task_list_clear(&l);
	t = test_add(&l, "c1", "r", TASK_RUNNING, "Running", -1);
	t->started_at = 6000;
	taskstate_apply(ts, &w, &l, 0, 0, 0, 6100, &out, NULL);
	assert_int_equal(out.n, 1); /* appeared; 100 s is not past 100 s */
	taskstate_apply(ts, &w, &l, 0, 0, 0, 6101, &out, NULL);
	assert_int_equal(out.n, 2);
	assert_int_equal(out.v[1]->kind, EVT_OVERDUE);
	assert_non_null(
	    strstr(out.v[1]->overdue_doc, "\"source\":\"max_duration\""));
	assert_non_null(strstr(out.v[1]->overdue_doc, "\"limit_seconds\":100"));
	assert_int_equal(out.v[1]->occurred_at, 6100);
	evt_list_clear(&out);

	/* Restored with its flag: no second overdue. */
	ts2 = taskstate_new();
	xtra.progress_changed_at = 6000;
	xtra.overdue = 1;
	taskstate_restore(ts2, w.watch, t, &xtra);
	taskstate_apply(ts2, &w, &l, 1, 0, 0, 7000, &out, NULL);
	assert_int_equal(out.n, 0);
	/* Without it (an older table), it fires: the same id as before. */
	taskstate_free(ts2);
	ts2 = taskstate_new();
	xtra.overdue = 0;
	taskstate_restore(ts2, w.watch, t, &xtra);
	taskstate_apply(ts2, &w, &l, 1, 0, 0, 7000, &out, NULL);
	assert_int_equal(out.n, 1);
	assert_int_equal(out.v[0]->kind, EVT_OVERDUE);
	evt_list_clear(&out);
	taskstate_free(ts2);
	task_list_clear(&l);
	taskstate_free(ts);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_silent_baseline),
		cmocka_unit_test(test_partial_baseline),
		cmocka_unit_test(test_scope_baseline),
		cmocka_unit_test(test_scope_kept),
		cmocka_unit_test(test_absences),
		cmocka_unit_test(test_settled),
		cmocka_unit_test(test_has_watch_empty),
		cmocka_unit_test(test_appeared),
		cmocka_unit_test(test_transition),
		cmocka_unit_test(test_silent_update),
		cmocka_unit_test(test_stalled),
		cmocka_unit_test(test_stalled_replicas),
		cmocka_unit_test(test_stall_off),
		cmocka_unit_test(test_gone_complete),
		cmocka_unit_test(test_gone_incomplete),
		cmocka_unit_test(test_vanish),
		cmocka_unit_test(test_replaced),
		cmocka_unit_test(test_confirm),
		cmocka_unit_test(test_duplicate),
		cmocka_unit_test(test_order),
		cmocka_unit_test(test_missed),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_forget),
		cmocka_unit_test(test_many_watches),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_unchanged),
		cmocka_unit_test(test_ack),
		cmocka_unit_test(test_overdue_learned),
		cmocka_unit_test(test_overdue_max),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
