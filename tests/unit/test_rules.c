/*
 * Unit tests for rules: every match key, globs, AND across keys and OR
 * within one, from/to, events without a task, continue versus stop, the
 * severity override, no rules, and one call per notifier.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "evt.h"
#include "rules.h"
#include "task.h"
#include "xmalloc.h"

#define TEST_MAXN 8

/* A static string list of up to TEST_MAXN entries. */
struct test_list {
	char *v[TEST_MAXN];
};

/* Point a config list at the NULL-terminated strings of a test list. */
static void
test_set(struct config_strlist *l, struct test_list *tl, ...)
{
	va_list ap;
	char *s;

	va_start(ap, tl);
	l->n = 0;
	while ((s = va_arg(ap, char *)) != NULL && l->n < TEST_MAXN)
		tl->v[l->n++] = s;
	va_end(ap);
	l->v = tl->v;
}

/* A transition of a DDS job on a named cluster, RUNNING -> FAILED. */
static struct evt *
test_event(void)
{
	struct evt *ev = evt_new(EVT_TRANSITION);

	ev->watch = xstrdup("dds-prod-1");
	ev->api = xstrdup("dds.jobs");
	ev->account = xstrdup("hw-prod");
	ev->has_task = 1;
	ev->task.id = xstrdup("t1");
	ev->task.type = xstrdup("RestartReplicaSetInstance");
	ev->task.cluster_id = xstrdup("1f311e6ain02");
	ev->task.cluster_name = xstrdup("dds-6be2");
	ev->task.state = TASK_FAILED;
	ev->task.raw_status = xstrdup("Failed");
	ev->has_previous = 1;
	ev->prev_state = TASK_RUNNING;
	ev->prev_raw = xstrdup("Running");
	evt_finish(ev);
	return ev;
}

/* A fresh rule with an empty match block. */
static void
test_rule(struct config_rule *r)
{
	memset(r, 0, sizeof(*r));
	r->severity = CONFIG_SEVERITY_UNSET;
}

/* An empty match block matches everything. */
static void
test_match_empty(void **state)
{
	struct config_rule r;
	struct evt *ev = test_event(), *wf = evt_new(EVT_WATCH_FAILED);

	(void)state;
	test_rule(&r);
	assert_true(rules_match(&r, ev));
	assert_true(rules_match(&r, wf));
	evt_free(ev);
	evt_free(wf);
}

/* Each key alone, with globs (case-insensitive). */
static void
test_match_keys(void **state)
{
	struct config_rule r;
	struct test_list tl;
	struct evt *ev = test_event();

	(void)state;
#define TEST_KEY(field, want, ...)                                  \
	do {                                                        \
		test_rule(&r);                                      \
		test_set(&r.field, &tl, __VA_ARGS__, (char *)NULL); \
		assert_int_equal(rules_match(&r, ev), want);        \
	} while (0)
	TEST_KEY(match_event, 1, "transition");
	TEST_KEY(match_event, 1, "trans*");
	TEST_KEY(match_event, 0, "appeared");
	TEST_KEY(match_api, 1, "dds.jobs");
	TEST_KEY(match_api, 1, "DDS.*");
	TEST_KEY(match_api, 0, "gaussdb.tasks");
	TEST_KEY(match_watch, 1, "*-prod*");
	TEST_KEY(match_watch, 0, "*-test*");
	TEST_KEY(match_account, 1, "hw-prod");
	TEST_KEY(match_account, 1, "HW-*");
	TEST_KEY(match_account, 0, "otc-prod");
	TEST_KEY(match_task_type, 1, "Restart*");
	TEST_KEY(match_task_type, 1, "restart*instance");
	TEST_KEY(match_task_type, 0, "Resize*");
	/* cluster: id or name */
	TEST_KEY(match_cluster, 1, "1f311e6ain02");
	TEST_KEY(match_cluster, 1, "dds-6be2");
	TEST_KEY(match_cluster, 1, "dds-*");
	TEST_KEY(match_cluster, 1, "*");
	TEST_KEY(match_cluster, 0, "other");
	TEST_KEY(match_from, 1, "RUNNING");
	TEST_KEY(match_from, 1, "running");
	TEST_KEY(match_from, 0, "PENDING");
	TEST_KEY(match_to, 1, "FAILED");
	TEST_KEY(match_to, 1, "F?ILED");
	TEST_KEY(match_to, 0, "SUCCEEDED");
	TEST_KEY(match_to, 0, "RUNNING");
	/* Lists are OR. */
	TEST_KEY(match_to, 1, "PARTIAL", "FAILED");
	TEST_KEY(match_to, 0, "PARTIAL", "CANCELLED");
	TEST_KEY(match_event, 1, "appeared", "transition");
#undef TEST_KEY
	evt_free(ev);
}

/* Keys are AND: one failing key fails the rule. */
static void
test_match_and(void **state)
{
	struct config_rule r;
	struct test_list a, b, c, d;
	struct evt *ev = test_event();

	(void)state;
	test_rule(&r);
	test_set(&r.match_event, &a, "transition", "appeared", (char *)NULL);
	test_set(&r.match_api, &b, "dds.jobs", "gaussdb.tasks", (char *)NULL);
	test_set(&r.match_from, &c, "RUNNING", (char *)NULL);
	test_set(&r.match_to, &d, "FAILED", "PARTIAL", (char *)NULL);
	assert_true(rules_match(&r, ev));
	ev->prev_state = TASK_PENDING;
	assert_false(rules_match(&r, ev));
	ev->prev_state = TASK_RUNNING;
	free(ev->api);
	ev->api = xstrdup("dws.actions");
	assert_false(rules_match(&r, ev));
	evt_free(ev);
}

/* from needs a previous state; to, task_type, cluster need a task. */
static void
test_match_missing(void **state)
{
	struct config_rule r;
	struct test_list tl, tl2;
	struct evt *ev = test_event(), *wf = evt_new(EVT_WATCH_FAILED);

	(void)state;
	wf->watch = xstrdup("dds-prod-1");
	wf->api = xstrdup("dds.jobs");
	test_rule(&r);
	test_set(&r.match_from, &tl, "*", (char *)NULL);
	ev->has_previous = 0;
	ev->kind = EVT_APPEARED;
	assert_false(rules_match(&r, ev));
	assert_false(rules_match(&r, wf));
	test_rule(&r);
	test_set(&r.match_to, &tl, "*", (char *)NULL);
	assert_true(rules_match(&r, ev));
	assert_false(rules_match(&r, wf));
	test_rule(&r);
	test_set(&r.match_task_type, &tl, "*", (char *)NULL);
	assert_false(rules_match(&r, wf));
	test_rule(&r);
	test_set(&r.match_cluster, &tl, "*", (char *)NULL);
	assert_false(rules_match(&r, wf));
	/* watch and api still work for watch events. */
	test_rule(&r);
	test_set(&r.match_watch, &tl, "dds-*", (char *)NULL);
	assert_true(rules_match(&r, wf));
	test_set(&r.match_event, &tl2, "watch_*", (char *)NULL);
	assert_true(rules_match(&r, wf));
	evt_free(ev);
	evt_free(wf);
}

/*
 * A task that vanished or was replaced went to no state: to never
 * matches it (a failure rule must not page again when a failed task goes
 * away), from matches its last state.
 */
static void
test_match_gone(void **state)
{
	static const enum evt_kind kinds[] = { EVT_VANISHED, EVT_REPLACED };
	struct config_rule r;
	struct test_list tl;
	struct evt *ev = test_event();
	size_t i;

	(void)state;
	ev->prev_state = TASK_FAILED;
	for (i = 0; i < 2; i++) {
		ev->kind = kinds[i];
		test_rule(&r);
		test_set(&r.match_to, &tl, "FAILED", "PARTIAL", (char *)NULL);
		assert_false(rules_match(&r, ev));
		test_rule(&r);
		test_set(&r.match_from, &tl, "FAILED", (char *)NULL);
		assert_true(rules_match(&r, ev));
	}
	/* The watches a rule could route: its api and watch keys alone. */
	test_rule(&r);
	test_set(&r.match_to, &tl, "SUCCEEDED", (char *)NULL);
	assert_true(rules_match_watch(&r, ev));
	test_set(&r.match_watch, &tl, "dws-*", (char *)NULL);
	assert_false(rules_match_watch(&r, ev));
	evt_free(ev);
}

/* What a route call saw. */
struct test_calls {
	const char *name[TEST_MAXN];
	const char *rule[TEST_MAXN];
	enum config_severity sev[TEST_MAXN];
	size_t n;
};

/* Route callback: record the call. */
static void
test_route_cb(const struct config_notifier *n, const struct config_rule *r,
    enum config_severity sev, void *arg)
{
	struct test_calls *c = arg;

	assert_true(c->n < TEST_MAXN);
	c->name[c->n] = n->name;
	c->rule[c->n] = r != NULL ? r->name : NULL;
	c->sev[c->n] = sev;
	c->n++;
}

/* A config of three notifiers and up to three rules. */
struct test_conf {
	struct config conf;
	struct config_notifier notifiers[3];
	struct config_rule rules[3];
	struct config_notifier *rn[3][3];
	struct test_list names[3];
	struct test_list match[3];
};

/* Set up tc with nrules empty rules. */
static void
test_conf_init(struct test_conf *tc, size_t nrules)
{
	size_t i;

	memset(tc, 0, sizeof(*tc));
	tc->notifiers[0].name = "oncall";
	tc->notifiers[1].name = "am";
	tc->notifiers[2].name = "log";
	tc->conf.notifiers = tc->notifiers;
	tc->conf.nnotifiers = 3;
	tc->conf.rules = tc->rules;
	tc->conf.nrules = nrules;
	for (i = 0; i < 3; i++) {
		test_rule(&tc->rules[i]);
		tc->rules[i].notifiers = tc->rn[i];
	}
	tc->rules[0].name = "r1";
	tc->rules[1].name = "r2";
	tc->rules[2].name = "r3";
}

/* Make rule i notify notifiers (by index, -1 ends). */
static void
test_notify(struct test_conf *tc, size_t i, int a, int b)
{
	struct config_rule *r = &tc->rules[i];

	r->notify.v = tc->names[i].v;
	r->notify.n = 0;
	if (a >= 0) {
		tc->names[i].v[r->notify.n] = tc->notifiers[a].name;
		tc->rn[i][r->notify.n++] = &tc->notifiers[a];
	}
	if (b >= 0) {
		tc->names[i].v[r->notify.n] = tc->notifiers[b].name;
		tc->rn[i][r->notify.n++] = &tc->notifiers[b];
	}
}

/* No rules: every notifier, no rule, the event's severity. */
static void
test_route_no_rules(void **state)
{
	struct test_conf tc;
	struct test_calls c = { 0 };
	struct evt *ev = test_event();

	(void)state;
	test_conf_init(&tc, 0);
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.name[0], "oncall");
	assert_string_equal(c.name[1], "am");
	assert_string_equal(c.name[2], "log");
	assert_null(c.rule[0]);
	assert_int_equal(c.sev[0], CONFIG_SEVERITY_CRITICAL);
	evt_free(ev);
}

/* A matching rule without continue stops the walk. */
static void
test_route_stop(void **state)
{
	struct test_conf tc;
	struct test_calls c = { 0 };
	struct evt *ev = test_event();

	(void)state;
	test_conf_init(&tc, 2);
	test_notify(&tc, 0, 0, -1);
	test_notify(&tc, 1, 2, -1);
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.name[0], "oncall");
	assert_string_equal(c.rule[0], "r1");

	/* With continue the second rule is reached. */
	memset(&c, 0, sizeof(c));
	tc.rules[0].cont = 1;
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.name[1], "log");
	assert_string_equal(c.rule[1], "r2");

	/* A rule that does not match neither notifies nor stops. */
	memset(&c, 0, sizeof(c));
	tc.rules[0].cont = 0;
	test_set(
	    &tc.rules[0].match_to, &tc.match[0], "SUCCEEDED", (char *)NULL);
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.name[0], "log");
	assert_string_equal(c.rule[0], "r2");

	/* Nothing matches: nobody is called. */
	memset(&c, 0, sizeof(c));
	test_set(
	    &tc.rules[1].match_event, &tc.match[1], "appeared", (char *)NULL);
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 0);
	evt_free(ev);
}

/* A rule's severity overrides the event's; unset keeps it. */
static void
test_route_severity(void **state)
{
	struct test_conf tc;
	struct test_calls c = { 0 };
	struct evt *ev = test_event();

	(void)state;
	test_conf_init(&tc, 2);
	test_notify(&tc, 0, 0, -1);
	test_notify(&tc, 1, 1, -1);
	tc.rules[0].severity = CONFIG_SEVERITY_INFO;
	tc.rules[0].cont = 1;
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 2);
	assert_int_equal(c.sev[0], CONFIG_SEVERITY_INFO);
	assert_int_equal(c.sev[1], CONFIG_SEVERITY_CRITICAL);
	/* The event itself is not changed. */
	assert_int_equal(ev->severity, CONFIG_SEVERITY_CRITICAL);
	evt_free(ev);
}

/* A notifier named by two matching rules is called once, by the first. */
static void
test_route_once(void **state)
{
	struct test_conf tc;
	struct test_calls c = { 0 };
	struct evt *ev = test_event();

	(void)state;
	test_conf_init(&tc, 3);
	test_notify(&tc, 0, 0, 1);
	test_notify(&tc, 1, 1, 2);
	test_notify(&tc, 2, 0, 2);
	tc.rules[0].cont = tc.rules[1].cont = tc.rules[2].cont = 1;
	tc.rules[0].severity = CONFIG_SEVERITY_WARNING;
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.name[0], "oncall");
	assert_string_equal(c.rule[0], "r1");
	assert_string_equal(c.name[1], "am");
	assert_string_equal(c.rule[1], "r1");
	assert_int_equal(c.sev[1], CONFIG_SEVERITY_WARNING);
	assert_string_equal(c.name[2], "log");
	assert_string_equal(c.rule[2], "r2");
	assert_int_equal(c.sev[2], CONFIG_SEVERITY_CRITICAL);
	evt_free(ev);
}

/* Unresolved rules (notifiers NULL) are routed by name. */
static void
test_route_by_name(void **state)
{
	struct test_conf tc;
	struct test_calls c = { 0 };
	struct evt *ev = test_event();

	(void)state;
	test_conf_init(&tc, 1);
	test_notify(&tc, 0, 2, 1);
	tc.rules[0].notifiers = NULL;
	rules_route(&tc.conf, ev, test_route_cb, &c);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.name[0], "log");
	assert_string_equal(c.name[1], "am");
	evt_free(ev);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_match_empty),
		cmocka_unit_test(test_match_keys),
		cmocka_unit_test(test_match_and),
		cmocka_unit_test(test_match_missing),
		cmocka_unit_test(test_match_gone),
		cmocka_unit_test(test_route_no_rules),
		cmocka_unit_test(test_route_stop),
		cmocka_unit_test(test_route_severity),
		cmocka_unit_test(test_route_once),
		cmocka_unit_test(test_route_by_name),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
