/*
 * An exec notifier's guardrails in the daemon: the budget and breaker of
 * hookguard.c fed with the notifier's config and events, the events they
 * make (hook_suppressed, hook_circuit_open), the metrics, the state file
 * {state_dir}/hooks-{notifier}.json and the cooldown key.  Only
 * notify_exec.c uses it.
 */
#ifndef NOTIFY_GUARD_H
#define NOTIFY_GUARD_H

#include "config.h"
#include "evt.h"
#include "hookguard.h"

struct json_writer;
struct notify_guard;
struct notify_notifier;

/* A new guard for nf (borrowed; it outlives the guard). */
struct notify_guard *notify_guard_new(struct notify_notifier *nf);
/* Take the limits of conf (creation and reload); the counts are kept. */
void notify_guard_configure(
    struct notify_guard *ng, const struct config_notifier *conf);
/* Keep the state in state_dir from now on, and load the earlier run's. */
void notify_guard_restore(struct notify_guard *ng, const char *state_dir);
/*
 * May the hook run for ev (what: "event ID (task ...)" for the log)?  1
 * yes (counted); 0 no: logged, and the events and metrics it calls for
 * are made; *why says which guard held it back ("budget" or
 * "circuit_open", static).
 */
int notify_guard_admit(struct notify_guard *ng, const struct evt *ev,
    const char *what, const char **why);
/*
 * A run admitted for ev ended (ev NULL when cancelled); outcome says how
 * ("exited with status 1").
 */
void notify_guard_done(struct notify_guard *ng, const struct evt *ev,
    enum hookguard_outcome how, const char *outcome);
/* The key the cooldown of ev is kept under (cooldown_per); caller frees. */
char *notify_guard_cooldown_key(
    const struct notify_guard *ng, const struct evt *ev);
/* Write the config and state as a JSON object for `taskwatchctl hooks`. */
void notify_guard_write(struct notify_guard *ng, struct json_writer *w);
/* Close the breaker (logged by the caller); 1 if it was not closed. */
int notify_guard_reset(struct notify_guard *ng);
/* Save the state and free the guard; NULL is a no-op. */
void notify_guard_free(struct notify_guard *ng);

#endif
