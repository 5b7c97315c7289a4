/*
 * The maintenance section: recurring windows (days, from, to, timezone)
 * with a match as a rule's, each acting like a silence while open.  The
 * time zone is loaded here, with the config, so an unknown one fails the
 * load at its position; maintenance.c computes the openings.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_impl.h"
#include "tzfile.h"
#include "xmalloc.h"

#define MW(f) offsetof(struct config_maintenance, f)
#define CONFIG_DAYS_ALL 0x7fU

/* The days of a window, bit 0 first. */
static const char *const config_day_names[] = { "mon", "tue", "wed", "thu",
	"fri", "sat", "sun", NULL };

/* Read days: a day or a list of them, into the bit set. */
static void
config_maintenance_days(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_maintenance *mw = it->obj;
	struct config_strlist l = { NULL, 0 };
	yaml_node_t **nodes;
	struct buf b;
	unsigned days = 0;
	size_t i, nerrs = it->p->nerrs;
	int d;

	config_strlist(it->p, kv, CONFIG_LIST_SCALAR, &l, &nodes);
	for (i = 0; i < l.n; i++) {
		if ((d = config_index(config_day_names, l.v[i])) != -1) {
			days |= 1U << d;
			continue;
		}
		buf_init(&b, 0);
		config_join(&b, config_day_names);
		config_error(it->p, nodes[i],
		    "unknown day %s; expected one of: %s",
		    config_q(it->p, l.v[i]), buf_str(&b));
		buf_free(&b);
	}
	if (days == 0 && it->p->nerrs == nerrs)
		config_error(it->p, kv->vnode, "days must not be empty");
	else if (days != 0)
		mw->days = days;
	free(nodes);
	config_strlist_free(&l);
}

/* Parse "H:MM" or "HH:MM" into minutes after midnight; -1 if bad. */
static int
config_maintenance_hhmm(const char *s, int *out)
{
	int h = 0, m, n;

	/* At most three digits are read: "999999999999:00" must not overflow. */
	for (n = 0; n < 3 && s[n] >= '0' && s[n] <= '9'; n++)
		h = h * 10 + (s[n] - '0');
	if (n < 1 || n > 2 || s[n] != ':' || s[n + 1] < '0' || s[n + 1] > '9' ||
	    s[n + 2] < '0' || s[n + 2] > '9' || s[n + 3] != '\0')
		return -1;
	m = (s[n + 1] - '0') * 10 + (s[n + 2] - '0');
	if (h > 23 || m > 59)
		return -1;
	*out = h * 60 + m;
	return 0;
}

/*
 * Read from or to.  A window open around the clock every day never
 * closes (days and from are read before to): it is refused.
 */
static void
config_maintenance_time(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_maintenance *mw = it->obj;
	int *f = (int *)((char *)mw + k->off);
	const char *s;

	if ((s = config_string(it->p, kv)) == NULL)
		return;
	if (config_maintenance_hhmm(s, f) == -1) {
		config_error(it->p, kv->vnode,
		    "bad time %s for %s: use HH:MM from 00:00 to 23:59",
		    config_q(it->p, s), k->name);
		return;
	}
	if (strcmp(k->name, "to") == 0 && mw->days == CONFIG_DAYS_ALL &&
	    config_map_find(&it->m, "from") != NULL &&
	    mw->to_min == mw->from_min)
		config_error(it->p, kv->vnode,
		    "a window open every day from %s to the same time never "
		    "closes; use a silence",
		    s);
}

/* Read timezone (default UTC) and load the zone. */
static void
config_maintenance_tz(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_maintenance *mw = it->obj;
	char *cause;

	if (kv != NULL && config_key_read(it->p, k, kv, mw) == -1)
		return;
	if ((mw->tz = tzfile_load(mw->timezone, &cause)) != NULL)
		return;
	config_error(it->p, kv != NULL ? kv->vnode : it->m.node,
	    "unknown timezone %s: %s", config_q(it->p, mw->timezone), cause);
	free(cause);
}

/*
 * Read match as a rule's.  A window without one would silence every
 * event while open: that is refused rather than guessed at.
 */
static void
config_maintenance_match(struct config_item *it, const struct config_key *k,
    const struct config_pair *kv)
{
	struct config_maintenance *mw = it->obj;
	struct config_item sub = *it;
	const struct config_key *mk;
	size_t n = 0, nerrs = it->p->nerrs;

	if (kv != NULL) {
		sub.obj = &mw->match;
		config_rule_match(&sub, k, kv);
	}
	for (mk = config_match_keys; mk->name != NULL; mk++)
		n += ((struct config_strlist *)((char *)&mw->match + mk->off))
			 ->n;
	if (n == 0 && it->p->nerrs == nerrs)
		config_error(it->p, kv != NULL ? kv->knode : it->m.node,
		    "a maintenance window needs a match; it would silence "
		    "everything");
}

/* Print days as a list of names. */
static void
config_maintenance_print_days(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	const struct config_maintenance *mw = obj;
	const char *v[8];
	struct config_strlist l = { (char **)v, 0 };
	int d;

	for (d = 0; config_day_names[d] != NULL; d++) {
		if (mw->days & (1U << d))
			v[l.n++] = config_day_names[d];
	}
	config_print_list(fp, in, k->name, &l);
}

/* Print from or to as "HH:MM" (quoted: YAML 1.1 reads 02:00 as 120). */
static void
config_maintenance_print_time(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	int v = *(const int *)((const char *)obj + k->off);

	fprintf(fp, "%s%s: \"%02d:%02d\"\n", in, k->name, v / 60, v % 60);
}

/* Print the match as a rule's. */
static void
config_maintenance_print_match(
    FILE *fp, const char *in, const struct config_key *k, const void *obj)
{
	config_rule_print_match(
	    fp, in, k, &((const struct config_maintenance *)obj)->match);
}

/* The keys of a maintenance window, in the order they are read. */
const struct config_key config_maintenance_keys[] = {
	{ .name = "name",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_REQUIRED,
	    .off = MW(name),
	    .parse = config_item_name },
	{ .name = "days",
	    .type = CONFIG_T_UINT,
	    .def = CONFIG_DAYS_ALL,
	    .off = MW(days),
	    .parse = config_maintenance_days,
	    .print = config_maintenance_print_days },
	{ .name = "from",
	    .type = CONFIG_T_INT,
	    .flags = CONFIG_K_REQUIRED,
	    .off = MW(from_min),
	    .parse = config_maintenance_time,
	    .print = config_maintenance_print_time },
	{ .name = "to",
	    .type = CONFIG_T_INT,
	    .flags = CONFIG_K_REQUIRED,
	    .off = MW(to_min),
	    .parse = config_maintenance_time,
	    .print = config_maintenance_print_time },
	{ .name = "timezone",
	    .type = CONFIG_T_STRING,
	    .flags = CONFIG_K_ABSENT,
	    .def_str = "UTC",
	    .off = MW(timezone),
	    .parse = config_maintenance_tz },
	{ .name = "match",
	    .type = CONFIG_T_OTHER,
	    .flags = CONFIG_K_ABSENT,
	    .off = CONFIG_NOFIELD,
	    .parse = config_maintenance_match,
	    .print = config_maintenance_print_match },
	{ .name = NULL },
};

/* The maintenance section. */
const struct config_list config_maintenance_windows = {
	.key = "maintenance",
	.noun = "maintenance window",
	.size = sizeof(struct config_maintenance),
	.items = offsetof(struct config, maintenance),
	.count = offsetof(struct config, nmaintenance),
	.line = MW(line),
	.col = MW(col),
	.keys = config_maintenance_keys,
};

/* Free one window's fields: its rows', its match's, its zone. */
void
config_maintenance_free(struct config_maintenance *mw)
{
	config_keys_free(config_maintenance_keys, mw);
	config_keys_free(config_match_keys, &mw->match);
	tzfile_free(mw->tz);
}

/* A window's match as silence matchers: a row of the match table each. */
void
config_maintenance_matchers(
    const struct config_maintenance *mw, char ***v, size_t *n)
{
	const struct config_key *k;
	const struct config_strlist *l;
	size_t j;

	*v = NULL;
	*n = 0;
	for (k = config_match_keys; k->name != NULL; k++) {
		l = (const struct config_strlist *)((const char *)&mw->match +
		    k->off);
		for (j = 0; j < l->n; j++) {
			*v = xreallocarray(*v, *n + 1, sizeof(**v));
			(*v)[(*n)++] = xasprintf("%s=%s", k->name, l->v[j]);
		}
	}
}

/* Free matchers. */
void
config_maintenance_matchers_free(char **v, size_t n)
{
	while (n > 0)
		free(v[--n]);
	free(v);
}
