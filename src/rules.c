/*
 * Rules route an event to notifiers.  A rule matches when every key of its
 * match block matches (AND), a key matching when any of its entries does
 * (OR, case-insensitive globs).  Rules are walked in order; each notifier is
 * called at most once per event.  Pure; no I/O.
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "evt.h"
#include "rules.h"
#include "task.h"
#include "util.h"
#include "xmalloc.h"

/* 1 if the key is absent (empty list) or any entry matches value. */
static int
rules_key(const struct config_strlist *l, const char *value)
{
	size_t i;

	if (l->n == 0)
		return 1;
	if (value == NULL)
		return 0;
	for (i = 0; i < l->n; i++) {
		if (l->v[i] != NULL && util_glob(l->v[i], value))
			return 1;
	}
	return 0;
}

/* 1 if the list is absent or any entry matches a or b (b may be NULL). */
static int
rules_key2(const struct config_strlist *l, const char *a, const char *b)
{
	if (l->n == 0)
		return 1;
	return (a != NULL && rules_key(l, a)) || (b != NULL && rules_key(l, b));
}

/* 1 if the rule's match block matches the event. */
int
rules_match(const struct config_rule *r, const struct evt *ev)
{
	const struct task *t = ev->has_task ? &ev->task : NULL;

	if (!rules_key(&r->match_event, evt_kind_name(ev->kind)))
		return 0;
	if (!rules_key(&r->match_api, ev->api))
		return 0;
	if (!rules_key(&r->match_account, ev->account))
		return 0;
	if (!rules_key(&r->match_watch, ev->watch))
		return 0;
	if (!rules_key(&r->match_task_type, t != NULL ? t->type : NULL))
		return 0;
	if (!rules_key2(&r->match_cluster, t != NULL ? t->cluster_id : NULL,
		t != NULL ? t->cluster_name : NULL))
		return 0;
	if (!rules_key(&r->match_from,
		t != NULL && ev->has_previous ? task_state_name(ev->prev_state)
					      : NULL))
		return 0;
	/*
	 * A task that vanished or was replaced went to no state: its last
	 * state is its from, and a rule with to never matches it (a rule
	 * for failures must not page again when a failed task goes away).
	 */
	if (!rules_key(&r->match_to,
		t != NULL && ev->kind != EVT_VANISHED &&
			ev->kind != EVT_REPLACED
		    ? task_state_name(t->state)
		    : NULL))
		return 0;
	return 1;
}

/* 1 if the rule's api and watch keys match ev (see rules.h). */
int
rules_match_watch(const struct config_rule *r, const struct evt *ev)
{
	return rules_key(&r->match_api, ev->api) &&
	    rules_key(&r->match_account, ev->account) &&
	    rules_key(&r->match_watch, ev->watch);
}

/* 1 if n is among the first count entries of done. */
static int
rules_done(const struct config_notifier **done, size_t count,
    const struct config_notifier *n)
{
	size_t i;

	for (i = 0; i < count; i++) {
		if (done[i] == n)
			return 1;
	}
	return 0;
}

/* The notifier of conf named name; NULL if none. */
static const struct config_notifier *
rules_notifier(const struct config *conf, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < conf->nnotifiers; i++) {
		if (strcmp(conf->notifiers[i].name, name) == 0)
			return &conf->notifiers[i];
	}
	return NULL;
}

/*
 * Route ev through conf's rules in order, calling cb at most once per
 * notifier (the first matching rule that names it decides rule and
 * severity).  With no rules every notifier gets every event.  A rule's
 * notifiers are taken resolved when config.c has done so, else looked up by
 * name.
 */
void
rules_route(const struct config *conf, const struct evt *ev, rules_route_cb cb,
    void *arg)
{
	const struct config_notifier **done;
	const struct config_notifier *n;
	const struct config_rule *r;
	enum config_severity sev, evsev;
	size_t i, j, ndone = 0, total = 0;

	evsev = ev->severity;
	if (evsev == CONFIG_SEVERITY_UNSET)
		evsev = evt_default_severity(ev);
	if (conf->nrules == 0) {
		for (i = 0; i < conf->nnotifiers; i++)
			cb(&conf->notifiers[i], NULL, evsev, arg);
		return;
	}
	for (i = 0; i < conf->nrules; i++)
		total += conf->rules[i].notify.n;
	done = xcalloc(total == 0 ? 1 : total, sizeof(*done));
	for (i = 0; i < conf->nrules; i++) {
		r = &conf->rules[i];
		if (!rules_match(r, ev))
			continue;
		sev =
		    r->severity != CONFIG_SEVERITY_UNSET ? r->severity : evsev;
		for (j = 0; j < r->notify.n; j++) {
			if (r->notifiers != NULL)
				n = r->notifiers[j];
			else
				n = rules_notifier(conf, r->notify.v[j]);
			if (n == NULL || rules_done(done, ndone, n))
				continue;
			done[ndone++] = n;
			cb(n, r, sev, arg);
		}
		if (!r->cont)
			break;
	}
	free(done);
}

/*
 * 1 if some rule of conf sends events to the notifier named notifier and
 * could route the events of ev's watch (its api and watch keys match), or
 * conf has no rules (every notifier gets every event): that notifier may
 * hold alerts ev resolves, so an alertmanager notifier gets ev for
 * resolution whatever the rules chose (notify.c).
 */
int
rules_alerts_for(
    const struct config *conf, const char *notifier, const struct evt *ev)
{
	const struct config_rule *r;
	size_t i, j;

	if (conf->nrules == 0)
		return 1;
	for (i = 0; i < conf->nrules; i++) {
		r = &conf->rules[i];
		for (j = 0; j < r->notify.n; j++) {
			if (r->notify.v[j] != NULL &&
			    strcmp(r->notify.v[j], notifier) == 0 &&
			    rules_match_watch(r, ev))
				return 1;
		}
	}
	return 0;
}
