/*
 * Rules route an event to notifiers: match on event kind, api, watch, task
 * type, cluster and states (lists are OR, keys are AND, globs allowed),
 * override the severity, stop or continue.  Pure; no I/O.
 */
#ifndef RULES_H
#define RULES_H

#include "config.h"
#include "evt.h"

/* Called once per notifier an event goes to. */
typedef void (*rules_route_cb)(const struct config_notifier *n,
    const struct config_rule *rule, enum config_severity severity, void *arg);

/* 1 if the rule's match block matches the event. */
int rules_match(const struct config_rule *r, const struct evt *ev);
/*
 * 1 if the rule's api, account and watch keys match ev: the rule could route the
 * events of ev's watch, whatever its other keys say.
 */
int rules_match_watch(const struct config_rule *r, const struct evt *ev);
/*
 * Route ev through conf's rules in order, calling cb at most once per
 * notifier (the first matching rule that names it decides rule and
 * severity).  With no rules every notifier gets every event.
 */
void rules_route(const struct config *conf, const struct evt *ev,
    rules_route_cb cb, void *arg);

/*
 * 1 if some rule of conf sends events to the notifier named notifier and
 * could route the events of ev's watch (its api and watch keys match), or
 * conf has no rules.
 */
int rules_alerts_for(
    const struct config *conf, const char *notifier, const struct evt *ev);

#endif
