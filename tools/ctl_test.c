/*
 * taskwatchctl test-event: build the event a watch would send for a task
 * type reaching a state, walk it through the config's rules exactly as
 * the daemon does (rules_route) and print which rules match and which
 * notifiers, with which severity and hook command, it would reach.  Like
 * `amtool config routes test`; nothing is sent.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ctl_control.h"
#include "ctl_test.h"
#include "evt.h"
#include "json.h"
#include "rules.h"
#include "task.h"
#include "xmalloc.h"

#define CTL_EX_USAGE 64
#define CTL_EX_CONFIG 78

/* Print usage and exit 64. */
static void __attribute__((noreturn)) ctl_test_usage(void)
{
	fprintf(stderr,
	    "usage: taskwatchctl test-event --watch name [--kind kind] "
	    "[--type type]\n"
	    "           [--cluster id] [--from state] [--to state] "
	    "[--json] [--send [-c socket]] [-f file]\n");
	exit(CTL_EX_USAGE);
}

/* What the routing callback gathers. */
struct ctl_test_route {
	size_t count;
	const struct config_notifier **routed;
};

/* rules_route callback: one line per notifier reached. */
static void
ctl_test_route_cb(const struct config_notifier *n,
    const struct config_rule *rule, enum config_severity sev, void *arg)
{
	struct ctl_test_route *r = arg;
	size_t i;

	r->routed[r->count++] = n;
	printf("  -> %s (%s), severity %s, by %s", n->name,
	    config_notifier_type_name(n->type), config_severity_name(sev),
	    rule != NULL ? rule->name : "no rules: every notifier");
	if (n->type == CONFIG_NOTIFIER_EXEC) {
		printf("; would run");
		for (i = 0; i < n->command.n; i++)
			printf(" '%s'", n->command.v[i]);
	}
	printf("\n");
}

/* Ask the daemon to deliver the event: the control command test_event. */
static int
ctl_test_send(const char *sock, const char *file, const char *watch, int kind,
    const char *type, const char *cluster, const char *from, const char *to)
{
	struct json_writer *jw;

	jw = json_writer_new();
	json_w_obj_open(jw);
	json_w_kstr(jw, "cmd", "test_event");
	json_w_kstr(jw, "watch", watch);
	json_w_kstr(jw, "kind", evt_kind_name((enum evt_kind)kind));
	if (type != NULL)
		json_w_kstr(jw, "type", type);
	if (cluster != NULL)
		json_w_kstr(jw, "cluster", cluster);
	if (from != NULL)
		json_w_kstr(jw, "from", from);
	if (to != NULL)
		json_w_kstr(jw, "to", to);
	return ctl_control_call(sock, file, jw);
}

/* Run "test-event" (argv[0]); the exit status. */
int
ctl_test_event(int argc, char *argv[])
{
	static const struct option longopts[] = {
		{ "watch", required_argument, NULL, 'W' },
		{ "kind", required_argument, NULL, 'K' },
		{ "type", required_argument, NULL, 'T' },
		{ "cluster", required_argument, NULL, 'C' },
		{ "from", required_argument, NULL, 'F' },
		{ "to", required_argument, NULL, 'O' },
		{ "json", no_argument, NULL, 'j' },
		{ "send", no_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	const char *path = CONFIG_DEFAULT_PATH, *watch = NULL, *type = NULL;
	const char *file = NULL, *sock = NULL;
	const char *cluster = NULL, *from = NULL, *to = NULL;
	const struct config_watch *w;
	struct config *conf;
	struct ctl_test_route route;
	struct evt *ev;
	char *errors = NULL, *text;
	size_t i, reached = 0;
	int ch, kind = EVT_TRANSITION, json = 0, send = 0, rc;

	optind = 1;
	while ((ch = getopt_long(argc, argv, "c:f:", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			sock = optarg;
			break;
		case 'f':
			path = file = optarg;
			break;
		case 'S':
			send = 1;
			break;
		case 'W':
			watch = optarg;
			break;
		case 'K':
			if ((kind = evt_kind_from_name(optarg)) < 0) {
				fprintf(stderr,
				    "taskwatchctl: --kind %s: not an event "
				    "kind\n",
				    optarg);
				return CTL_EX_USAGE;
			}
			break;
		case 'T':
			type = optarg;
			break;
		case 'C':
			cluster = optarg;
			break;
		case 'F':
			from = optarg;
			break;
		case 'O':
			to = optarg;
			break;
		case 'j':
			json = 1;
			break;
		default:
			ctl_test_usage();
		}
	}
	if (optind != argc || watch == NULL)
		ctl_test_usage();
	if ((conf = config_load(path, &errors)) == NULL) {
		fputs(errors ? errors : "invalid config\n", stderr);
		free(errors);
		return CTL_EX_CONFIG;
	}
	if ((w = config_find_watch(conf, watch)) == NULL) {
		fprintf(stderr, "taskwatchctl: no watch named %s in %s\n",
		    watch, path);
		config_free(conf);
		return 1;
	}
	if ((ev = evt_test_new(w, (enum evt_kind)kind, type, cluster, from, to,
		 (int64_t)time(NULL) * 1000, &errors)) == NULL) {
		fprintf(stderr, "taskwatchctl: test-event: %s\n", errors);
		free(errors);
		config_free(conf);
		return CTL_EX_USAGE;
	}
	if (json) {
		text = evt_to_json(ev, NULL);
		printf("%s\n", text);
		free(text);
	}
	text = evt_summary(ev);
	printf("event: %s: %s (severity %s)\n", evt_kind_name(ev->kind), text,
	    config_severity_name(ev->severity));
	free(text);
	for (i = 0; i < conf->nrules; i++)
		printf("rule %s (line %d): %s\n", conf->rules[i].name,
		    conf->rules[i].line,
		    rules_match(&conf->rules[i], ev) ? "matches"
						     : "does not match");
	printf("notifiers:\n");
	route.count = 0;
	route.routed = xcalloc(conf->nnotifiers + 1, sizeof(*route.routed));
	rules_route(conf, ev, ctl_test_route_cb, &route);
	reached = route.count;
	/* As notify_event: alerts resolve whatever the rules route. */
	for (i = 0; i < conf->nnotifiers; i++) {
		const struct config_notifier *n = &conf->notifiers[i];
		size_t j;

		for (j = 0; j < route.count && route.routed[j] != n; j++)
			;
		if (j < route.count ||
		    n->type != CONFIG_NOTIFIER_ALERTMANAGER ||
		    !rules_alerts_for(conf, n->name, ev))
			continue;
		printf("  -> %s (alertmanager), for resolution only: it may "
		       "resolve an alert, never open one\n",
		    n->name);
		reached++;
	}
	free(route.routed);
	if (reached == 0)
		printf("  none: no notifier would get this event\n");
	evt_free(ev);
	config_free(conf);
	if (!send)
		return 0;
	printf("sending it, marked \"test\": true:\n");
	fflush(stdout);
	rc = ctl_test_send(sock, file, watch, kind, type, cluster, from, to);
	return rc;
}
