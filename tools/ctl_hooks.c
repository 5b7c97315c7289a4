/*
 * taskwatchctl hooks [reset NAME]: the exec notifiers' guardrails through
 * the control socket.  The list shows each notifier's budget (max_runs per
 * per_window, per what), the runs in the window of its busiest keys, and
 * its circuit breaker; reset closes a breaker at once (taskwatchctl(8)).
 */
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_control.h"
#include "ctl_hooks.h"
#include "json.h"
#include "util.h"
#include "xmalloc.h"

#define CTL_EX_USAGE 64

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_hooks_usage(void)
{
	fprintf(stderr, "usage: %s\n", CTL_HOOKS_SYNOPSIS);
	exit(CTL_EX_USAGE);
}

/* An integer member, 0 when absent. */
static int64_t
ctl_hooks_int(const struct json *o, const char *key)
{
	int64_t v = 0;

	(void)json_int(json_get(o, key), 0, &v);
	return v;
}

/* Print one notifier: its row, then one line per budget key. */
static void
ctl_hooks_row(const struct json *h)
{
	const struct json *g = json_get(h, "guard"),
			  *b = json_get(g, "budgets");
	const struct json *k;
	char budget[64], until[UTIL_RFC3339_LEN];
	int64_t open_ms = ctl_hooks_int(g, "open_until_ms");
	size_t i;

	if (ctl_hooks_int(h, "max_runs") > 0)
		snprintf(budget, sizeof(budget), "%lld/%llds per %s",
		    (long long)ctl_hooks_int(h, "max_runs"),
		    (long long)ctl_hooks_int(h, "per_window_s"),
		    json_get_str(h, "per"));
	else
		snprintf(budget, sizeof(budget), "none");
	if (open_ms > 0)
		util_format_rfc3339(open_ms / 1000, until);
	else
		snprintf(until, sizeof(until), "-");
	printf("%-20s  %-22s  %-9s  %8lld  %-20s  %s\n",
	    json_get_str(h, "notifier"), budget, json_get_str(g, "state"),
	    (long long)ctl_hooks_int(g, "consecutive_failures"), until,
	    json_get_str(g, "last_outcome"));
	for (i = 0; i < json_len(b); i++) {
		k = json_at(b, i);
		printf("  %-40s  runs %lld  suppressed %lld\n",
		    *json_get_str(k, "key") != '\0' ? json_get_str(k, "key")
						    : "(all)",
		    (long long)ctl_hooks_int(k, "runs"),
		    (long long)ctl_hooks_int(k, "suppressed"));
	}
}

/* hooks [--json]: the guardrails of each exec notifier. */
static int
ctl_hooks_list(int argc, char *argv[])
{
	const struct json *v;
	struct json *answer;
	size_t i;
	int rc;

	if ((rc = ctl_control_list(
		 argc, argv, "hooks", ctl_hooks_usage, &answer)) != 0 ||
	    answer == NULL)
		return rc;
	v = json_get(answer, "hooks");
	printf("%-20s  %-22s  %-9s  %8s  %-20s  %s\n", "NOTIFIER", "BUDGET",
	    "BREAKER", "FAILURES", "OPEN UNTIL", "LAST OUTCOME");
	for (i = 0; i < json_len(v); i++)
		ctl_hooks_row(json_at(v, i));
	json_free(answer);
	return 0;
}

/* hooks reset NAME: close its circuit breaker. */
static int
ctl_hooks_reset(int argc, char *argv[])
{
	const char *sock = NULL, *file = NULL;
	struct json_writer *jw;
	struct json *answer;
	int rc, was = 0;

	if (ctl_control_args(argc, argv, NULL, &sock, &file) != 1)
		ctl_hooks_usage();
	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", "hooks_reset");
	json_w_kstr(jw, "notifier", argv[optind]);
	if ((rc = ctl_control_ask(sock, file, jw, &answer)) != 0)
		return rc;
	(void)json_bool(json_get(answer, "was_open"), &was);
	fprintf(stderr, "notifier %s: circuit breaker %s\n", argv[optind],
	    was ? "closed" : "was already closed");
	json_free(answer);
	return 0;
}

/* Run "hooks [reset NAME] ..." (argv[0] is "hooks"). */
int
ctl_hooks(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "reset") == 0)
		return ctl_hooks_reset(argc - 1, argv + 1);
	return ctl_hooks_list(argc, argv);
}
