/*
 * The table of notifier kinds (see notifier_kind.h).  Data only: the
 * configuration reads it to parse and print a notifier, notify.c for the
 * name of a kind.
 */
#include <stddef.h>

#include "notifier_kind.h"

#define NOTIFIER_KIND_SEC 1000ULL
#define NOTIFIER_KIND_MIN (60 * NOTIFIER_KIND_SEC)
#define NOTIFIER_KIND_HOUR (60 * NOTIFIER_KIND_MIN)

const struct notifier_kind notifier_kinds[NOTIFIER_KIND_COUNT] = {
	[CONFIG_NOTIFIER_WEBHOOK] = { "webhook", 10 * NOTIFIER_KIND_SEC, 100,
	    10 * NOTIFIER_KIND_MIN, 1, 0, 1 },
	[CONFIG_NOTIFIER_ALERTMANAGER] = { "alertmanager",
	    10 * NOTIFIER_KIND_SEC, 100, 10 * NOTIFIER_KIND_MIN, 1, 1, 0 },
	[CONFIG_NOTIFIER_SYSLOG] = { "syslog", 0, 0, 0, 0, 0, 1 },
	[CONFIG_NOTIFIER_EXEC] = { "exec", 5 * NOTIFIER_KIND_MIN,
	    NOTIFIER_KIND_SEC, 24 * NOTIFIER_KIND_HOUR, 0, 0, 0 },
	[CONFIG_NOTIFIER_PAGERDUTY] = { "pagerduty", 10 * NOTIFIER_KIND_SEC,
	    100, 10 * NOTIFIER_KIND_MIN, 1, 1, 1 },
	[CONFIG_NOTIFIER_EMAIL] = { "email", 30 * NOTIFIER_KIND_SEC,
	    NOTIFIER_KIND_SEC, 10 * NOTIFIER_KIND_MIN, 1, 0, 1 },
};

/* The row of a kind; NULL if type is out of range. */
const struct notifier_kind *
notifier_kind_get(enum config_notifier_type type)
{
	if ((int)type < 0 || type >= NOTIFIER_KIND_COUNT)
		return NULL;
	return &notifier_kinds[type];
}

/* The name of a kind, "unknown" if type is out of range. */
const char *
notifier_kind_name(enum config_notifier_type type)
{
	const struct notifier_kind *k = notifier_kind_get(type);

	return k != NULL ? k->name : "unknown";
}
