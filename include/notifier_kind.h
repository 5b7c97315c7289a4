/*
 * The kinds of notifier, as data: one row per kind with what the
 * configuration needs to read one and what notify.c names it.  A new kind
 * is one row here, its keys' rows in config_notifier.c and its
 * implementation registered in notify.c.
 */
#ifndef NOTIFIER_KIND_H
#define NOTIFIER_KIND_H

#include <stdint.h>

#include "config.h"

#define NOTIFIER_KIND_COUNT (CONFIG_NOTIFIER_EMAIL + 1)

/* A bit per enum config_notifier_type, for the kinds a key applies to. */
#define NOTIFIER_KIND(t) (1U << (t))

/* One kind of notifier. */
struct notifier_kind {
	const char *name;        /* the type value: "webhook" */
	uint64_t timeout_ms;     /* timeout: default; 0 = takes no timeout */
	uint64_t timeout_min_ms; /* and its range */
	uint64_t timeout_max_ms;
	int retry; /* takes retry (a failed send is retried) */
	/*
	 * Closes what it opened when a later event says the problem is
	 * over: it gets the events of the watches its rules cover for that
	 * even when no rule chose them (notify.c), and opens nothing with
	 * them.
	 */
	int resolves;
	/*
	 * May take silenced events (send_silenced): not an exec hook, which
	 * is remediation, nor Alertmanager, which has silences of its own.
	 */
	int silenceable;
};

/* Indexed by enum config_notifier_type. */
extern const struct notifier_kind notifier_kinds[NOTIFIER_KIND_COUNT];

/* The row of a kind; NULL if type is out of range. */
const struct notifier_kind *notifier_kind_get(enum config_notifier_type type);
/* The name of a kind, "unknown" if type is out of range. */
const char *notifier_kind_name(enum config_notifier_type type);

#endif
